import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCappedFile } from './capped-file.ts';

test('a capped file rotates to .1 before passing its cap, keeps appending after a reopen, and ignores writes once closed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-capped-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'x.log');
  const f = openCappedFile(path, 100);
  for (let i = 0; i < 10; i++) f.write(`line ${i} ${'x'.repeat(20)}\n`);
  f.close();
  f.write('after close\n');
  assert.ok((await stat(path)).size <= 100);
  assert.ok((await stat(`${path}.1`)).size <= 100);
  const last = await readFile(path, 'utf8');
  assert.match(last, /line 9/);
  assert.doesNotMatch(last, /after close/);
  const again = openCappedFile(path, 1000);
  again.write('more\n');
  again.close();
  assert.equal(await readFile(path, 'utf8'), `${last}more\n`);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});
