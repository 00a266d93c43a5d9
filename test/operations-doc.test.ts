// Keeps docs/operations.md and deploy/systemd/ honest: every `corral … --flag` they show
// exists in the CLI as main.ts builds it, every variable a unit's ExecStart names is set
// by its example environment file, and the units keep the settings the guide explains.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.ts';

const root = join(import.meta.dirname, '..');
const units = join(root, 'deploy', 'systemd');
const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
const doc = read('docs', 'operations.md');
const roles = ['controller', 'engine', 'router'] as const;
const silent = { out: () => {}, err: () => {} };

test('every corral command line in the guide and the units names real commands and flags', async () => {
  const program = await buildProgram(silent);
  const texts = [doc, ...roles.map((r) => read('deploy', 'systemd', `corral-${r}.service`))];
  const lines = texts.flatMap(commandLines);
  const problems = lines.flatMap((l) => checkLine(program, l.tokens).map((p) => `${p}: ${l.text}`));
  assert.deepEqual(problems, []);
  // not vacuous: each role is shown with its own flags
  for (const role of roles) {
    assert.ok(lines.some((l) => l.tokens.includes(role) && l.tokens.some((t) => t.startsWith('--'))), `no corral ${role} line with flags found`);
  }
});

test('the flags in each CORRAL_<ROLE>_ARGS of the example environment files exist', async () => {
  const program = await buildProgram(silent);
  for (const role of roles) {
    for (const text of [read('deploy', 'systemd', `${role}.env.example`), doc]) {
      const args = envValues(text)[`CORRAL_${role.toUpperCase()}_ARGS`];
      assert.ok(args, `CORRAL_${role.toUpperCase()}_ARGS is set`);
      assert.deepEqual(checkLine(program, ['corral', role, ...args.split(/\s+/)]), [], `${role}: ${args}`);
    }
  }
});

test('the checker refuses a flag the CLI does not have, and a flag of another role', async () => {
  const program = await buildProgram(silent);
  assert.deepEqual(checkLine(program, ['corral', 'router', '--join', 'x', '--no-such-flag']), ['corral router has no --no-such-flag']);
  assert.deepEqual(checkLine(program, ['corral', 'controller', '--address', '10.0.0.1']), ['corral controller has no --address']);
  assert.deepEqual(checkLine(program, ['corral', 'engine', 'evacuate', 'h1']), []); // a positional argument, not a flag
  assert.deepEqual(checkLine(program, ['corral', '--dir', '/d', 'router', '--host', '0.0.0.0']), []);
});

test('each unit reads its environment file, sets every variable it uses there, and stops as the guide says', () => {
  for (const role of roles) {
    const unit = read('deploy', 'systemd', `corral-${role}.service`);
    const env = envValues(read('deploy', 'systemd', `${role}.env.example`));
    const settings = unitSettings(unit);
    assert.equal(settings.EnvironmentFile, `/etc/corral/${role}.env`);
    assert.equal(settings.Restart, 'always');
    assert.equal(settings.KillMode, 'mixed');
    assert.match(settings.LimitNOFILE ?? '', /^\d+$/);
    assert.match(settings.TimeoutStopSec ?? '', /^\d+$/);
    const used = [...(settings.ExecStart ?? '').matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!);
    assert.ok(used.length > 0, `${role}: ExecStart uses its environment`);
    for (const v of used) assert.ok(v in env, `${role}: ${v} is used by ExecStart but not set in ${role}.env.example`);
    assert.ok(doc.includes(`corral-${role}.service`), `the guide names corral-${role}.service`);
  }
  // the engine's grace (10 s per VS, in parallel) fits in its stop timeout
  assert.ok(Number(unitSettings(read('deploy', 'systemd', 'corral-engine.service')).TimeoutStopSec) > 10);
  assert.deepEqual(readdirSync(units).filter((f) => f.endsWith('.service')).sort(), roles.map((r) => `corral-${r}.service`));
});

test('the README and the cluster README link the guide', () => {
  assert.match(read('README.md'), /\]\(docs\/operations\.md\)/);
  assert.match(read('src', 'cluster', 'README.md'), /\]\(\.\.\/\.\.\/docs\/operations\.md\)/);
});

test('the etcd flags the guide names exist in the installed etcd', (t) => {
  const help = spawnSync('etcd', ['--help'], { encoding: 'utf8' });
  if (help.error) return t.skip('etcd is not installed');
  const flags = [...doc.matchAll(/\| `ETCD_\w+` \| `(--[a-z-]+)` \|/g)].map((m) => m[1]!);
  assert.ok(flags.length >= 9, 'the guide has its etcd flag table');
  const text = `${help.stdout}${help.stderr}`;
  for (const f of flags) assert.ok(text.includes(`${f} `), `etcd has ${f}`);
  // and each flag's ETCD_ variable is what the example /etc/default/etcd sets
  const env = envValues(read('deploy', 'systemd', 'etcd.default.example'));
  for (const f of flags) assert.ok(`ETCD_${f.slice(2).toUpperCase().replaceAll('-', '_')}` in env, `etcd.default.example sets ${f}`);
});

/** Lines holding a `corral` command: code lines, unit ExecStart lines, and `inline code` spans. */
function commandLines(text: string): { text: string; tokens: string[] }[] {
  const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  const candidates = [...text.split('\n').map((l) => l.replace(/^ExecStart=\S*\/corral\b/, 'corral')), ...spans];
  const out: { text: string; tokens: string[] }[] = [];
  for (const line of candidates) {
    const tokens = line.trim().split(/\s+/);
    const at = tokens.indexOf('corral');
    if (at < 0 || line.includes('`')) continue; // a line with spans is checked span by span
    out.push({ text: line.trim(), tokens: tokens.slice(at) });
  }
  return out;
}

/** Walk `corral [global flags] <command> [<subcommand>] …` through commander: flags not found, as messages. */
function checkLine(program: Command, tokens: string[]): string[] {
  const problems: string[] = [];
  let cmd = program;
  let path = 'corral';
  for (let i = 1; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (/^(#|\||&&|;|\)|>|…|\.\.\.)/.test(tok)) break; // the command line ends here
    if (tok.startsWith('--')) {
      const name = tok.split('=')[0]!;
      if (name === '--help') continue;
      const opt = cmd.options.find((o) => o.long === name) ?? program.options.find((o) => o.long === name);
      if (!opt) {
        problems.push(`${path} has no ${name}`);
        continue;
      }
      if ((opt.required || opt.optional) && !tok.includes('=')) i++; // its value
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === tok || c.aliases().includes(tok));
    if (sub) {
      cmd = sub;
      path = `${path} ${tok}`;
    }
  }
  return problems;
}

/** NAME=value lines (shell-style env files and the guide's examples); the last one wins. */
function envValues(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)) env[m[1]!] = m[2]!.trim();
  return env;
}

/** Key=value settings of a unit file (the last one wins; comments skipped). */
function unitSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Za-z]+)=(.*)$/gm)) out[m[1]!] = m[2]!.trim();
  return out;
}
