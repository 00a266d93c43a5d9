// GET /.corral/sites?min=N (table mode): the engine's question "is table N served yet?" is
// answered the moment it is, not when the engine polls again; bounded, and let go on close.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { TableWatch } from './table-watch.ts';
import { rawRequest, startTableServer } from './testing.ts';
import { STATUS_KEY_HEADER } from './web-server.ts';

interface Pool {
  table: TableWatch;
  write(version: number, body?: string): Promise<void>;
  /** GET /.corral/sites?min=…; `arrived` resolves once the server has the request. */
  ask(query: string): { arrived: Promise<void>; answer: Promise<{ version: number | null; sites: Record<string, string> }> };
}

async function pool(t: TestContext): Promise<Pool> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'corral-pool-wait-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.mkdir(path.join(dir, 'r1'));
  await fs.writeFile(path.join(dir, 'r1', 'index.html'), 'a');
  const file = path.join(dir, 'table.json');
  const write = async (version: number, body?: string) => {
    await fs.writeFile(`${file}.tmp`, body ?? JSON.stringify({ version, sites: [{ site: 'a', release: `v${version}`, domains: ['a.test'], root: 'r1' }] }));
    await fs.rename(`${file}.tmp`, file);
  };
  await write(1);
  // a poll far longer than any test: only fs.watch (or reload()) can bring a new table in time
  const { table, server, port } = await startTableServer(t, file, { pollMs: 60_000, statusKey: 'k' });
  return {
    table, write,
    ask(query) {
      const arrived = new Promise<void>((resolve) => server.once('request', () => resolve()));
      const answer = rawRequest(port, `/.corral/sites${query}`, { headers: { [STATUS_KEY_HEADER]: 'k' } }).then((res) => {
        assert.equal(res.status, 200);
        return JSON.parse(res.text) as { version: number | null; sites: Record<string, string> };
      });
      return { arrived, answer };
    },
  };
}

/** Whether p has settled, after letting pending I/O callbacks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return done;
}

test('?min=N waits for table N and answers as soon as it is loaded', async (t) => {
  const p = await pool(t);
  const q = p.ask('?min=2');
  await q.arrived;
  assert.equal(await settled(q.answer), false, 'answered before table 2 was written');
  await p.write(2);
  assert.deepEqual(await q.answer, { version: 2, sites: { a: 'v2' } });
});

test('?min=N answers at once when N or later is loaded, and a malformed min is not waited on', async (t) => {
  const p = await pool(t);
  for (const query of ['?min=1', '?min=0', '?min=-4', '?min=abc', '?min=', '?min=1e400', '']) {
    assert.equal((await p.ask(query).answer).version, 1, query);
  }
});

test('a refused table does not end the wait; the next good one does', async (t) => {
  const p = await pool(t);
  const q = p.ask('?min=2');
  await q.arrived;
  await p.write(2, '{"version": 2, "sites": [');
  await p.table.reload(); // the refused table has been read
  assert.equal(await settled(q.answer), false, 'answered on a refused table');
  await p.write(3);
  assert.deepEqual(await q.answer, { version: 3, sites: { a: 'v3' } });
});

test('the wait is bounded, and close() lets waiters go with the table served now', async (t) => {
  const p = await pool(t);
  const started = performance.now();
  await p.table.whenVersion(5, 30);
  assert.ok(performance.now() - started >= 25, 'whenVersion returned before its bound');
  assert.equal(p.table.current.version, 1);
  const q = p.ask('?min=9');
  await q.arrived;
  p.table.close();
  assert.deepEqual(await q.answer, { version: 1, sites: { a: 'v1' } });
  await p.table.whenVersion(9, 60_000); // closed: at once
});
