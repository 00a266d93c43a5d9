import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { createEngineLogs, writeVsLogMeta } from './logs.ts';
import { logPath } from './paths.ts';
import { onCleanup, tempDir } from './testing.ts';

test('lists VS logs, by site when asked', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  await writeFile(logPath(dir, 'blog-1'), 'a\n');
  await writeFile(logPath(dir, 'shop-1'), 'b\n');
  await writeFile(`${logPath(dir, 'shop-1')}.1`, 'old\n');
  await writeVsLogMeta(dir, { vs: 'blog-1', site: 'blog', siteId: 'blog-7f3a', customer: 'c', release: 'r' });
  await writeVsLogMeta(dir, { vs: 'shop-1', site: 'shop', customer: 'c', release: 'r' });
  assert.equal((await stat(path.join(dir, 'logs'))).mode & 0o777, 0o700, "no other user of the host reads the guests' output");
  const logs = createEngineLogs(dir);
  assert.deepEqual((await logs.listVsLogs()).map((l) => [l.vs, l.site, l.siteId, l.bytes]), [['blog-1', 'blog', 'blog-7f3a', 2], ['shop-1', 'shop', undefined, 2]]);
  assert.deepEqual((await logs.listVsLogs('shop')).map((l) => l.vs), ['shop-1']);
  assert.deepEqual(await createEngineLogs(path.join(dir, 'none')).listVsLogs(), []);
});

test('tail returns the last lines, reaching into the rotated file', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const file = logPath(dir, 'vs-a');
  await writeFile(`${file}.1`, 'one\ntwo\nthree\n');
  await writeFile(file, 'four\nfive\nsix');
  const logs = createEngineLogs(dir);
  assert.deepEqual(await logs.tail('vs-a', 2), ['five', 'six']);
  assert.deepEqual(await logs.tail('vs-a', 4), ['three', 'four', 'five', 'six']);
  assert.deepEqual(await logs.tail('vs-a', 100), ['one', 'two', 'three', 'four', 'five', 'six']);
  assert.deepEqual(await logs.tail('vs-none', 5), []);
  await assert.rejects(logs.tail('../etc', 5), { code: 'ENGINE_INVALID_NAME' });
});

test('tail reads large files in chunks', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
  await writeFile(logPath(dir, 'big'), lines.join('\n') + '\n');
  assert.deepEqual(await createEngineLogs(dir).tail('big', 3), lines.slice(-3));
  assert.deepEqual(await createEngineLogs(dir).tail('big', 5000), lines.slice(-5000));
});

test('follow delivers new complete lines, across a rotation, and waits for a missing file', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const file = logPath(dir, 'vs-f');
  const seen: string[] = [];
  const stop = createEngineLogs(dir, { pollMs: 10 }).follow('vs-f', (l) => seen.push(l));
  onCleanup(t, stop);
  await writeFile(file, 'first\nhalf');
  await waitFor(() => seen.length === 1, { what: 'first line' });
  await appendFile(file, ' done\nlost-to-rotation?\n');
  await rename(file, `${file}.1`);
  await writeFile(file, 'after rotation\n');
  await waitFor(() => seen.length === 4, { what: 'lines across rotation' });
  assert.deepEqual(seen, ['first', 'half done', 'lost-to-rotation?', 'after rotation']);
  stop();
  await appendFile(file, 'not seen\n');
});
