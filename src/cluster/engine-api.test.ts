// The engine API (engine-api.ts) and the controller's readers of it (remote-engine-logs.ts,
// remote-vs-exec.ts) over a real SQLite store and real listeners on loopback: only the
// farm's admin token gets in (401 without a token or with an unknown one, 403 for a
// customer's); a VS's lines are tailed and followed through it as EngineLogs gives them;
// an engine that accepts connections but never answers, or that nobody listens for, costs
// its VSs a clear line each within the timeout, never a hang.

import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { ensureAdminToken, issueToken } from '../controller/index.ts';
import { createEngineLogs } from '../engine/index.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { getJson, postJson } from '../lib/post-json.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type EngineRecord } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { engineDirectory } from './engine-directory.ts';
import { startEngineApi } from './engine-api.ts';
import { remoteEngineLogs } from './remote-engine-logs.ts';
import { remoteVsExec } from './remote-vs-exec.ts';
import { closedPort, silentServer } from './testing.ts';

it('answers the farm admin token only: 401 without a token or with an unknown one, 403 for a customer token', async (t) => {
  const { api, admin, customer } = await engineWithLogs(t);
  const tail = (token?: string) => getJson(`${api.url}/v1/vs/shop-a1/logs?tail=5`, { timeoutMs: 5_000, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const none = await tail();
  assert.equal(none.status, 401);
  assert.match(errorOf(none.json).message, /no bearer token.*controllers only/);
  assert.equal(errorOf(none.json).code, 'CLUSTER_ENGINE_API_UNAUTHORIZED');
  assert.equal((await tail('crl_' + 'x'.repeat(43))).status, 401);
  assert.equal((await tail('not a token')).status, 401);
  const refused = await tail(customer);
  assert.equal(refused.status, 403);
  assert.equal(errorOf(refused.json).code, 'CLUSTER_ENGINE_API_FORBIDDEN');
  // nothing else is reachable without it either
  assert.equal((await getJson(`${api.url}/v1/logs`, { timeoutMs: 5_000 })).status, 401);
  assert.equal((await postJson(`${api.url}/v1/vs/shop-a1/exec`, { argv: ['id'] }, { timeoutMs: 5_000, headers: { authorization: `Bearer ${customer}` } })).status, 403);
  // the control: the admin token reads the lines
  const ok = await tail(admin);
  assert.equal(ok.status, 200);
  assert.deepEqual((ok.json as { lines: string[] }).lines, ['2026-01-01T00:00:00.000Z one', '2026-01-01T00:00:01.000Z two']);
});

it('refuses bad requests with a clear 400 or 404', async (t) => {
  const { api, admin } = await engineWithLogs(t);
  const headers = { authorization: `Bearer ${admin}` };
  const badTail = await getJson(`${api.url}/v1/vs/shop-a1/logs?tail=-3`, { timeoutMs: 5_000, headers });
  assert.equal(badTail.status, 400);
  assert.match(errorOf(badTail.json).message, /tail must be a whole number/);
  const badName = await getJson(`${api.url}/v1/vs/..%2Fetc/logs?follow=true`, { timeoutMs: 5_000, headers });
  assert.equal(badName.status, 400);
  assert.equal(errorOf(badName.json).code, 'ENGINE_INVALID_NAME');
  assert.equal((await getJson(`${api.url}/v1/nothing`, { timeoutMs: 5_000, headers })).status, 404);
  const badExec = await postJson(`${api.url}/v1/vs/shop-a1/exec`, { argv: [] }, { timeoutMs: 5_000, headers });
  assert.equal(badExec.status, 400);
  // no runtime on this engine: the VS is not running here
  const notHere = await postJson(`${api.url}/v1/vs/shop-a1/exec`, { argv: ['id'] }, { timeoutMs: 5_000, headers });
  assert.equal(notHere.status, 404);
  assert.equal(errorOf(notHere.json).code, 'ENGINE_VS_NOT_RUNNING');
});

it("the controller's reader tails, lists and follows a VS's lines through the engine API, as EngineLogs does", async (t) => {
  const { store, api, admin, logsDir } = await engineWithLogs(t);
  await register(store, 'e1', api.url, 'shop-a1');
  const logs = remoteEngineLogs({ directory: engineDirectory(store), token: admin, log: silentLogger });
  assert.deepEqual(await logs.tail('shop-a1', 1), ['2026-01-01T00:00:01.000Z two']);
  assert.deepEqual((await logs.listVsLogs('shop')).map((l) => `${l.vs}:${l.siteId}`), ['shop-a1:s1']);
  assert.deepEqual(await logs.listVsLogs('other'), []);
  const got: string[] = [];
  const stop = logs.follow('shop-a1', (line) => got.push(line), { fromStart: true });
  onCleanup(t, stop);
  await waitFor(() => got.length === 2, { what: 'the lines already there' });
  await appendFile(join(logsDir, 'shop-a1.log'), '2026-01-01T00:00:02.000Z three\n');
  await waitFor(() => got.includes('2026-01-01T00:00:02.000Z three'), { what: 'the new line' });
  stop();
  await waitFor(() => api.following() === 0, { what: "the engine's follow to end with the reader's" });
});

it('an engine that never answers costs its VS one clear line within the timeout; calls right after fail at once', async (t) => {
  const { store, admin } = await engineWithLogs(t);
  const silent = await silentServer(t);
  await register(store, 'e9', silent, 'shop-z9');
  const directory = engineDirectory(store);
  const logs = remoteEngineLogs({ directory, token: admin, log: silentLogger, timeoutMs: 300 });
  const started = Date.now();
  const [line] = await logs.tail('shop-z9', 10);
  assert.match(line ?? '', /^corral: engine e9 could not be reached \(.*no answer within 300 ms\): its lines are missing here$/);
  assert.ok(Date.now() - started < 3_000, `answered in ${Date.now() - started} ms`);
  const again = Date.now();
  assert.match((await logs.tail('shop-z9', 10))[0] ?? '', /engine e9 could not be reached/);
  assert.ok(Date.now() - again < 200, 'the second call does not wait again');
  // a follow says so too, once, and does not hang its caller
  const got: string[] = [];
  const stop = logs.follow('shop-z9', (l) => got.push(l));
  onCleanup(t, stop);
  await waitFor(() => got.length > 0, { what: 'the line of the followed VS', timeoutMs: 3_000 });
  assert.match(got[0]!, /engine e9 could not be reached.*following again once it answers/);
  // exec too: 503 with the engine named (at once: the engine failed just now)
  const exec = remoteVsExec(directory, admin);
  await assert.rejects(exec({ vs: 'shop-z9', engine: 'e9' }, ['id'], 100), (err: Error & { code?: string; status?: number }) => err.code === 'CLUSTER_ENGINE_UNREACHABLE' && err.status === 503 && /engine e9/.test(err.message));
});

it('an engine no longer registered, or not listening, gives its VSs a clear line; others still answer', async (t) => {
  const { store, api, admin } = await engineWithLogs(t);
  await register(store, 'e1', api.url, 'shop-a1');
  const closed = await closedPort();
  await register(store, 'e2', closed, 'shop-b2');
  await store.put(keys.assignment('e3', 'shop-c3'), JSON.stringify(assignment('e3', 'shop-c3'))); // its engine's record is gone
  const logs = remoteEngineLogs({ directory: engineDirectory(store), token: admin, log: silentLogger });
  assert.deepEqual(await logs.tail('shop-a1', 1), ['2026-01-01T00:00:01.000Z two']);
  assert.match((await logs.tail('shop-b2', 1))[0] ?? '', /^corral: engine e2 could not be reached \(.*ECONNREFUSED.*\)/);
  assert.match((await logs.tail('shop-c3', 1))[0] ?? '', /^corral: engine e3 could not be reached \(it is not registered: stopped, or down\)/);
  // the list skips the engine it cannot reach and keeps the others'
  assert.deepEqual((await logs.listVsLogs('shop')).map((l) => l.vs), ['shop-a1']);
});

/** An engine API over a log folder holding shop-a1's two lines, on a SQLite store with the farm's admin token and a customer's. */
async function engineWithLogs(t: TestContext) {
  const dir = await tempDir(t, 'corral-engine-api-');
  const store = await openSqliteStore(join(dir, 'store.db'));
  onCleanup(t, () => store.close());
  const { token: admin } = await ensureAdminToken(store, join(dir, 'controller'));
  const customer = await issueToken(store, { role: 'customer', customer: 'acme', name: 'first' });
  const engineDir = join(dir, 'engine');
  const logsDir = join(engineDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  await writeFile(join(logsDir, 'shop-a1.log'), '2026-01-01T00:00:00.000Z one\n2026-01-01T00:00:01.000Z two\n');
  await writeFile(join(logsDir, 'shop-a1.meta.json'), JSON.stringify({ vs: 'shop-a1', site: 'shop', siteId: 's1', customer: 'acme', release: 'r1' }));
  const api = await startEngineApi({ store, logs: createEngineLogs(engineDir, { pollMs: 20 }), runtime: () => undefined, listen: { port: 0, host: '127.0.0.1' }, log: silentLogger });
  onCleanup(t, () => api.close());
  return { store, api, admin, customer, logsDir };
}

/** An engine's record naming apiUrl, and one assignment of vs on it. */
async function register(store: Store, engine: string, apiUrl: string, vs: string): Promise<void> {
  const record: EngineRecord = { id: engine, runtime: 'process', capacity: { cpus: 1, memoryMb: 1024, maxVirtualServers: 8 }, startedAt: new Date().toISOString(), apiUrl };
  await store.put(keys.engine(engine), JSON.stringify(record));
  await store.put(keys.assignment(engine, vs), JSON.stringify(assignment(engine, vs)));
}

function assignment(engine: string, vs: string): Assignment {
  return { vs, engine, site: 'shop', customer: 'acme', kind: 'app', release: 'r1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' };
}

function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}
