import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { createLogFile } from './log-file.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'corral-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('appends to an existing file', async (t) => {
  const file = path.join(await tempDir(t), 'sub', 'vs.log');
  const first = createLogFile(file);
  first.end('one\n');
  await finished(first);
  const second = createLogFile(file);
  second.write('two\n');
  second.end();
  await finished(second);
  assert.equal(await readFile(file, 'utf8'), 'one\ntwo\n');
});

test('rotates to .1 before passing the cap, keeping one old file', async (t) => {
  const file = path.join(await tempDir(t), 'vs.log');
  const log = createLogFile(file, { maxBytes: 10 });
  for (const line of ['aaaa\n', 'bbbb\n', 'cccc\n', 'dddd\n', 'eeee\n']) log.write(line);
  log.end();
  await finished(log);
  assert.equal(await readFile(file, 'utf8'), 'eeee\n');
  assert.equal(await readFile(`${file}.1`, 'utf8'), 'cccc\ndddd\n');
  assert.ok((await stat(file)).size <= 10);
});

test('counts bytes already in the file when it reopens', async (t) => {
  const file = path.join(await tempDir(t), 'vs.log');
  const first = createLogFile(file, { maxBytes: 8 });
  first.end('123456\n');
  await finished(first);
  const second = createLogFile(file, { maxBytes: 8 });
  second.end('abc\n');
  await finished(second);
  assert.equal(await readFile(file, 'utf8'), 'abc\n');
  assert.equal(await readFile(`${file}.1`, 'utf8'), '123456\n');
});

test('splits a chunk larger than the cap', async (t) => {
  const file = path.join(await tempDir(t), 'vs.log');
  const log = createLogFile(file, { maxBytes: 4 });
  log.end('abcdefghij');
  await finished(log);
  assert.equal(await readFile(file, 'utf8'), 'ij');
  assert.equal(await readFile(`${file}.1`, 'utf8'), 'efgh');
});
