// A router node's API (router-api.ts) and the controller's reader of every router node's
// (remote-router-logs.ts) over a real SQLite store and real listeners on loopback: only the
// farm's admin token gets in (401 without a token or with an unknown one, 403 for a
// customer's); a site's lines of several router nodes are tailed merged by time and
// followed, a router node registered later too; a router node that accepts connections but
// never answers, one nobody listens for, or one whose record names no API, costs one clear
// line each within the timeout while the others' lines still come, never a hang.

import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { ensureAdminToken, issueToken } from '../controller/index.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { getJson } from '../lib/post-json.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type RouterRecord } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { remoteRouterLogs } from './remote-router-logs.ts';
import { startRouterApi } from './router-api.ts';
import { createRouterLogs } from './router-logs.ts';
import { closedPort, silentServer } from './testing.ts';

const T = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
/** A site's storage key (a site id). */
const SITE = '0aa11bb22cc33dd44ee55ff6';

it('answers the farm admin token only: 401 without a token or with an unknown one, 403 for a customer token', async (t) => {
  const { store, admin, customer } = await farmStore(t);
  const api = await routerNode(t, store, 'r1', [`${T(0)} GET shop.test/ 200`]);
  const tail = (token?: string, query = 'tail=5') => getJson(`${api.url}/v1/sites/${SITE}/logs?${query}`, { timeoutMs: 5_000, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const none = await tail();
  assert.equal(none.status, 401);
  assert.equal(errorOf(none.json).code, 'CLUSTER_ROUTER_API_UNAUTHORIZED');
  assert.match(errorOf(none.json).message, /no bearer token.*router API answers the farm's controllers only/);
  assert.equal((await tail('crl_' + 'x'.repeat(43))).status, 401);
  assert.equal((await tail('not a token')).status, 401);
  const refused = await tail(customer);
  assert.equal(refused.status, 403);
  assert.equal(errorOf(refused.json).code, 'CLUSTER_ROUTER_API_FORBIDDEN');
  // a follow neither: refused before it starts
  assert.equal((await tail(customer, 'follow=true')).status, 403);
  assert.equal((await tail(undefined, 'follow=true')).status, 401);
  // the control: the admin token reads the lines
  const ok = await tail(admin);
  assert.equal(ok.status, 200);
  assert.deepEqual((ok.json as { lines: string[] }).lines, [`${T(0)} GET shop.test/ 200`]);
});

it('refuses bad requests with a clear 400 or 404, and reads nothing outside its folder', async (t) => {
  const { store, admin } = await farmStore(t);
  const api = await routerNode(t, store, 'r1', []);
  const headers = { authorization: `Bearer ${admin}` };
  const get = (path: string) => getJson(`${api.url}${path}`, { timeoutMs: 5_000, headers });
  const badTail = await get(`/v1/sites/${SITE}/logs?tail=-3`);
  assert.equal(badTail.status, 400);
  assert.match(errorOf(badTail.json).message, /tail must be a whole number/);
  for (const key of ['..%2F..%2Fetc', '..%2F' + SITE, 'Shop', 'a.b', '%E0%A4%A']) {
    const bad = await get(`/v1/sites/${key}/logs?tail=5`);
    assert.equal(bad.status, 400, key);
    assert.equal(errorOf(bad.json).code, 'CLUSTER_ROUTER_API_BAD_REQUEST', key);
  }
  const unknown = await get('/v1/nothing');
  assert.equal(unknown.status, 404);
  assert.equal(errorOf(unknown.json).code, 'CLUSTER_ROUTER_API_NOT_FOUND');
  // a site with no lines here: none, not an error
  assert.deepEqual((await get('/v1/sites/blog/logs?tail=5')).json, { lines: [] });
});

it("the controller's reader merges every router node's lines by time and follows them, a router node that joins later too", async (t) => {
  const { store, admin } = await farmStore(t);
  const r1 = await routerNode(t, store, 'r1', [`${T(1)} r1 one`, `${T(3)} r1 three`]);
  const r2 = await routerNode(t, store, 'r2', [`${T(2)} r2 two`]);
  await registerRouter(store, 'r1', r1.url);
  await registerRouter(store, 'r2', r2.url);
  const logs = remoteRouterLogs({ store, token: admin, log: silentLogger, rescanMs: 50 });
  assert.deepEqual(await logs.tail(SITE, 10), [`${T(1)} r1 one`, `${T(2)} r2 two`, `${T(3)} r1 three`]);
  assert.deepEqual(await logs.tail(SITE, 2), [`${T(2)} r2 two`, `${T(3)} r1 three`], 'the last lines in total');
  assert.deepEqual(await logs.tail('blog', 10), []);

  const got: string[] = [];
  const stop = logs.follow(SITE, (line) => got.push(line));
  onCleanup(t, stop);
  await waitFor(() => r1.following() === 1 && r2.following() === 1, { what: 'both router nodes followed' });
  // the follow starts at the files' end once the router node's reader has looked: append until a line shows up
  await waitFor(async () => {
    await appendFile(r1.file, `${T(4)} r1 new\n`);
    await appendFile(r2.file, `${T(5)} r2 new\n`);
    return got.includes(`${T(4)} r1 new`) && got.includes(`${T(5)} r2 new`);
  }, { what: 'the new lines of both', timeoutMs: 10_000, intervalMs: 200 });
  assert.ok(!got.some((l) => /one|two|three/.test(l)), 'lines there before the follow are not repeated');

  // a router node that registers later is followed from when it is seen
  const r3 = await routerNode(t, store, 'r3', []);
  await registerRouter(store, 'r3', r3.url);
  await waitFor(() => r3.following() === 1, { what: 'the new router node followed' });
  await waitFor(async () => {
    await appendFile(r3.file, `${T(6)} r3 new\n`);
    return got.includes(`${T(6)} r3 new`);
  }, { what: "the new router node's line", timeoutMs: 10_000, intervalMs: 200 });
  stop();
  await waitFor(() => r1.following() + r2.following() + r3.following() === 0, { what: "the router nodes' follows to end with the reader's" });
});

it('a router node that never answers, is not listening or names no API costs one clear line within the timeout; the others still come', async (t) => {
  const { store, admin } = await farmStore(t);
  const r1 = await routerNode(t, store, 'r1', [`${T(1)} r1 one`]);
  await registerRouter(store, 'r1', r1.url);
  await registerRouter(store, 'r2', await silentServer(t));
  await registerRouter(store, 'r3', await closedPort());
  await registerRouter(store, 'r4', undefined);
  const logs = remoteRouterLogs({ store, token: admin, log: silentLogger, timeoutMs: 300, rescanMs: 50, retryMs: 60_000 });
  const started = Date.now();
  const lines = await logs.tail(SITE, 10);
  assert.ok(Date.now() - started < 3_000, `answered in ${Date.now() - started} ms`);
  assert.equal(lines[0], `${T(1)} r1 one`, "r1's line still comes");
  assert.equal(lines.length, 4);
  // each missing router node's line is stamped with the time it was found missing: it sorts after the lines
  const text = lines.slice(1).map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''));
  assert.match(text[0]!, /^corral: router r2 could not be reached \(.*no answer within 300 ms\): its lines are missing here$/);
  assert.match(text[1]!, /^corral: router r3 could not be reached \(.*ECONNREFUSED.*\): its lines are missing here$/);
  assert.match(text[2]!, /^corral: router r4 keeps no access lines .*its record names no router API.*: its lines are missing here$/);

  // a follow says so once per router node, and r1's new lines still come
  const got: string[] = [];
  const stop = logs.follow(SITE, (line) => got.push(line));
  onCleanup(t, stop);
  await waitFor(() => ['r2', 'r3', 'r4'].every((r) => got.some((l) => l.includes(`router ${r} `))), { what: 'a line for each missing router node', timeoutMs: 3_000 });
  assert.ok(got.some((l) => /router r2 could not be reached.*following again once it answers$/.test(l)));
  assert.ok(got.some((l) => /router r3 could not be reached.*following again once it answers$/.test(l)));
  await waitFor(async () => {
    await appendFile(r1.file, `${T(2)} r1 new\n`);
    return got.includes(`${T(2)} r1 new`);
  }, { what: "r1's new line", timeoutMs: 10_000, intervalMs: 200 });
  assert.equal(got.filter((l) => l.includes('router r3 ')).length, 1, 'said once');
});

/** A SQLite store with the farm's admin token and a customer's. */
async function farmStore(t: TestContext): Promise<{ store: Store; admin: string; customer: string; dir: string }> {
  const dir = await tempDir(t, 'corral-router-api-');
  const store = await openSqliteStore(join(dir, 'store.db'));
  onCleanup(t, () => store.close());
  const { token: admin } = await ensureAdminToken(store, join(dir, 'controller'));
  const customer = await issueToken(store, { role: 'customer', customer: 'acme', name: 'first' });
  return { store, admin, customer, dir };
}

/** A router node's API over its own folder, whose file for SITE holds `lines` (a router process's file, as site-access-files.ts writes it). */
async function routerNode(t: TestContext, store: Store, id: string, lines: string[]) {
  const dir = await tempDir(t, `corral-router-api-${id}-`);
  await mkdir(join(dir, SITE), { recursive: true });
  const file = join(dir, SITE, 'router.log');
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
  const api = await startRouterApi({ store, logs: createRouterLogs(dir, { pollMs: 20 }), listen: { port: 0, host: '127.0.0.1' }, log: silentLogger });
  onCleanup(t, () => api.close());
  return { url: api.url, following: api.following, file };
}

async function registerRouter(store: Store, id: string, apiUrl: string | undefined): Promise<void> {
  const record: RouterRecord = { id, url: 'http://127.0.0.1:1', startedAt: new Date().toISOString(), ...(apiUrl !== undefined ? { apiUrl } : {}) };
  await store.put(keys.router(id), JSON.stringify(record));
}

function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}
