import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { createRouterLogs } from './router-logs.ts';

const T = (s: number) => `2026-12-04T15:00:0${s}.000Z`;

test("a site's router files are merged by time, the last n in total, rotated lines included", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-router-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'shop'));
  await writeFile(join(dir, 'shop', 'worker-1.log.1'), `${T(0)} w1 zero\n`);
  await writeFile(join(dir, 'shop', 'worker-1.log'), `${T(1)} w1 one\n${T(4)} w1 four\n`);
  await writeFile(join(dir, 'shop', 'worker-2.log'), `${T(2)} w2 two\n${T(3)} w2 three\n`);
  await writeFile(join(dir, 'shop', 'notes.txt'), 'not a log\n');
  const logs = createRouterLogs(dir);
  assert.deepEqual(await logs.tail('shop', 3), [`${T(2)} w2 two`, `${T(3)} w2 three`, `${T(4)} w1 four`]);
  assert.deepEqual((await logs.tail('shop', 10))[0], `${T(0)} w1 zero`);
  assert.deepEqual(await logs.tail('blog', 10), []);
});

test('follow reads new lines, and a file that appears later from its start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-router-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'shop'));
  await writeFile(join(dir, 'shop', 'router.log'), `${T(1)} old\n`);
  const seen: string[] = [];
  const stop = createRouterLogs(dir, { pollMs: 20 }).follow('shop', (l) => seen.push(l));
  t.after(stop);
  // the follower starts at the file's end once it has looked: append until a line shows up
  await waitFor(async () => {
    await appendFile(join(dir, 'shop', 'router.log'), `${T(2)} new\n`);
    return seen.length > 0;
  }, { what: 'a new line', timeoutMs: 5_000 });
  await writeFile(join(dir, 'shop', 'worker-3.log'), `${T(3)} from a new worker\n`);
  await waitFor(async () => seen.includes(`${T(3)} from a new worker`), { what: 'the new file from its start', timeoutMs: 5_000 });
  assert.ok(!seen.includes(`${T(1)} old`), 'lines there before the follow are not repeated');
  assert.ok(seen.every((l) => l === `${T(2)} new` || l === `${T(3)} from a new worker`));
});
