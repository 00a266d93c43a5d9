// The controller part as both modes start it: the admin token made once and kept, the API
// listening with the mode's options (its URL where it listens, or the advertised one), and
// its steps unwound API first, then the blob collector. A real SQLite store, a real
// listener on loopback.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { pino } from 'pino';
import { openSqliteStore, type Store } from '../store/index.ts';
import { silentLogger } from '../lib/log.ts';
import { createShutdownStack, type ShutdownStack } from '../lib/shutdown-stack.ts';
import { openControllerPart } from './controller-part.ts';

it('makes the admin token, serves the API with it, and stops the API before the blob collector', async (t) => {
  const { dir, stack, store, steps } = await setUp(t);
  const part = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  assert.equal(part.admin.created, true);
  assert.equal((await readFile(join(dir, 'admin-token'), 'utf8')).trim(), part.admin.token);
  const { apiUrl } = await part.startApi({ log: silentLogger }, { port: 0, host: '127.0.0.1' });
  assert.match(apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const anonymous = await fetch(`${apiUrl}/v1/sites`);
  assert.equal(anonymous.status, 401);
  await anonymous.arrayBuffer();
  const admin = await fetch(`${apiUrl}/v1/sites`, { headers: { authorization: `Bearer ${part.admin.token}` } });
  assert.equal(admin.status, 200);
  await admin.arrayBuffer();
  await stack.close();
  assert.deepEqual(steps(), ['controller api', 'blob gc', 'store']);
});

it('a second start keeps the token; an advertised URL is the one given', async (t) => {
  const { dir, stack, store } = await setUp(t);
  const first = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  const again = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  assert.equal(again.admin.created, false);
  assert.equal(again.admin.token, first.admin.token);
  const { apiUrl } = await again.startApi({ log: silentLogger }, { port: 0, host: '127.0.0.1', url: 'http://c1.example:7400' });
  assert.equal(apiUrl, 'http://c1.example:7400');
});

/** A stack whose steps the test reads back, with a SQLite store at its bottom. */
async function setUp(t: TestContext): Promise<{ dir: string; stack: ShutdownStack; store: Store; steps: () => string[] }> {
  const names: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void names.push((JSON.parse(line) as { step?: string }).step ?? '') });
  const dir = await mkdtemp(join(tmpdir(), 'corral-controller-part-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stack = createShutdownStack(log);
  t.after(() => stack.close());
  const store = await openSqliteStore(join(dir, 'store.db'));
  stack.push('store', () => store.close());
  return { dir, stack, store, steps: () => names.filter((n) => n !== '') };
}
