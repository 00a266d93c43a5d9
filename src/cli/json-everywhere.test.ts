// --json everywhere: every command that answers from the API can print JSON. The
// exceptions are the long-running roles, the shell completion script and the log stream
// (text lines by nature), named here so a new command without --json fails this test.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';

const WITHOUT_JSON = new Set(['up', 'controller', 'engine', 'router', 'completion', 'logs']);

function leaves(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path: path.join(' '), cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

it('every command that answers from the API takes --json', async () => {
  const program = await buildProgram({ out: () => {}, err: () => {} });
  const all = leaves(program);
  assert.ok(all.length > 30, `found ${all.length} commands`);
  const missing = all.filter(({ path, cmd }) => !WITHOUT_JSON.has(path) && !cmd.options.some((o) => o.long === '--json')).map((l) => l.path);
  assert.deepEqual(missing, []);
});
