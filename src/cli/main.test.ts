import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { staticSite } from '../controller/test-harness.ts';
import { CORRAL_BIN, startCliHarness } from './cli-testing.ts';
import { makeContext } from './context.ts';
import { COMMANDS, run } from './main.ts';
import type { Printer } from './output.ts';

const silent: Printer = { out: () => {}, err: () => {} };

test('the help stubs name and describe exactly what each command module registers', async () => {
  for (const entry of COMMANDS) {
    const program = new Command('corral');
    (await entry.load())(program, makeContext(program, silent));
    const real = program.commands.map((c) => [[c.name(), ...c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`))].join(' '), c.description()]);
    assert.deepEqual(real, entry.commands, `stubs of ${entry.commands[0]?.[0]}`);
  }
});

test('corral --help lists every command without loading the farm', async () => {
  const out: string[] = [];
  assert.equal(await run(['--help'], { out: (l) => out.push(l), err: (l) => out.push(l) }), 0);
  for (const entry of COMMANDS) for (const [usage] of entry.commands) assert.match(out.join('\n'), new RegExp(`^  ${usage.replace(/[[\]<>]/g, '\\$&')} `, 'm'));
  const loaded = await new Promise<string>((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', '-e', `
      const { run } = await import(${JSON.stringify(new URL('./main.ts', import.meta.url).href)});
      await run(['--help'], { out: () => {}, err: () => {} });
      await run(['status', '--help'], { out: () => {}, err: () => {} });
      const { createRequire } = await import('node:module');
      console.log(Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(fastify|etcd3|undici|typebox|better-sqlite3|tar)\\//.test(k)).join(','));
    `], { cwd: new URL('../..', import.meta.url).pathname }, (err, stdout) => (err ? fail(err) : done(stdout.trim()))),
  );
  assert.equal(loaded, '', 'help and status load none of the farm\'s libraries');
});

test('corral completion bash|zsh: generated from the command tree; bash completes commands and flags', async () => {
  const out: string[] = [];
  const print: Printer = { out: (l) => out.push(l), err: (l) => out.push(l) };
  assert.equal(await run(['completion', 'bash'], print), 0);
  const bash = out.join('\n');
  for (const path of ["'site set'", "'customer delete'", "'rollback'", "'vs list'", "'completion'"]) assert.ok(bash.includes(path), path);
  assert.match(bash, /'site set'\) _w='[^']*--unset-env[^']*--max-body-bytes/);
  const complete = (words: string) => new Promise<string>((done, fail) =>
    execFile('bash', ['-c', `eval "$SCRIPT"; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _corral; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: { SCRIPT: bash } }, (err, stdout) => (err ? fail(err) : done(stdout))));
  assert.deepEqual((await complete("corral si ''")).split('\n').filter(Boolean).length > 0, true);
  assert.deepEqual((await complete('corral si')).trim(), 'site');
  assert.deepEqual((await complete('corral site s')).trim().split('\n'), ['set', 'show']);
  assert.deepEqual((await complete('corral --api http://x site set blog --ra')).trim(), '--rate');
  assert.deepEqual((await complete('corral customer d')).trim(), 'delete');
  out.length = 0;
  assert.equal(await run(['completion', 'zsh'], print), 0);
  assert.match(out.join('\n'), /^#compdef corral$/m);
  assert.match(out.join('\n'), /'customer delete'\) _w='--cascade --yes -y --json --help'/);
  if (existsSync('/usr/bin/zsh') || existsSync('/bin/zsh')) {
    // compadd only works inside a completion widget: a stand-in prints the candidates (zsh filters them by prefix itself)
    const zsh = out.join('\n');
    const candidates = await new Promise<string>((done, fail) =>
      execFile('zsh', ['-f', '-c', `compadd() { shift; print -l -- "$@"; }; compdef() { :; }; eval "$SCRIPT"; words=(corral --api http://x customer d); CURRENT=5; _corral`], { env: { SCRIPT: zsh } }, (err, stdout) => (err ? fail(err) : done(stdout))));
    assert.deepEqual(candidates.trim().split('\n'), ['create', 'list', 'token', 'delete', '--help']);
  }
  out.length = 0;
  assert.equal(await run(['completion', 'fish'], print), 1);
  assert.match(out.join('\n'), /corral completion takes bash or zsh, got "fish"/);
});

test('corral status | head -1 exits 0 without a word on stderr (EPIPE)', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  // enough sites that the output overruns the pipe after head has gone
  for (let i = 0; i < 150; i++) {
    const res = await h.admin.post('/v1/sites', { ...staticSite(`site-${i}`), customer: 'acme', env: { PADDING: 'x'.repeat(1000) } });
    assert.equal(res.status, 201);
  }
  const env = { ...process.env, CORRAL_API: h.url, CORRAL_TOKEN: h.admin.token! };
  for (const args of ['status', 'status --json', 'site list --json']) {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CORRAL_BIN}" ${args} | head -1`], { env }, (err, stdout, stderr) =>
        done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })),
    );
    assert.equal(r.stderr, '', `${args}: nothing on stderr`);
    assert.equal(r.code, 0, `${args}: exit 0 through the pipe`);
    assert.equal(r.stdout.split('\n').length, 2, 'one line');
  }
});
