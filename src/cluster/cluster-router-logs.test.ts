// `corral logs --source router` on a farm on etcd: each router node (`corral router --join`)
// keeps its per-site access lines in its folder as `corral up`'s router does, and serves
// them on its own API (router-api.ts), which the controller reads with the farm's admin
// token from every router node registered. An app site on an engine, two router nodes (one
// with worker processes): a request through each shows its access line (`corral logs` prints
// it, merged in time order with the app's lines); another customer gets 404; the router API
// refuses anyone but the controllers; follow shows a new request's line, one through a
// router node that joins later too; a router node lost gives one clear line while the
// other's lines still come.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { httpGet, onCleanup, tempDir } from '../engine/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { packDirectory } from '../lib/tarball.ts';
import { waitFor } from '../lib/wait.ts';
import { etcdMissing, startEtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode, startRouterNode, type RouterNode } from './index.ts';
import { followLogs } from './testing.ts';
import { apiOf, siteReplicas } from '../../test/helpers/cluster-api.ts';
import { ok, REPO, runCli } from '../../test/helpers/farm-process.ts';

const skip = etcdMissing();
const HOST = 'shop.acme.test';

it("a site's router lines come from every router node, for its customer only; a lost router node costs only its own", { skip, timeout: 180_000 }, async (t) => {
  const root = await tempDir(t, 'corral-cluster-router-logs-');
  const etcd = await startEtcdCluster({ members: 1 });
  onCleanup(t, () => etcd.close());
  const controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger });
  onCleanup(t, () => controller.close());
  const admin = apiOf(() => [controller.apiUrl], controller.adminToken);
  const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
  const engine = await startEngineNode({ join: controller.apiUrl, token: joinToken, id: 'e1', dir: join(root, 'e1'), address: '127.0.0.1', runtime: 'process', log: silentLogger });
  onCleanup(t, () => engine.close());
  // r2 is lost later: its registration outlives it meanwhile (as in the 5 s after a crash), so the farm still names it
  const startRouter = async (id: string, extra: { workers?: number; leaseSeconds?: number } = {}) => {
    const node = await startRouterNode({ join: controller.apiUrl, token: joinToken, id, httpPort: 0, host: '127.0.0.1', workers: 1, dir: join(root, id), log: silentLogger, ...extra });
    onCleanup(t, () => node.close());
    return node;
  };
  const r1 = await startRouter('r1', { workers: 2 });
  const r2 = await startRouter('r2', { leaseSeconds: 120 });

  const acme = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'acme' })).json.token;
  const globex = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'globex' })).json.token;
  assert.equal((await admin.call('POST', '/v1/sites', { name: 'shop', customer: 'acme', kind: 'app', command: 'node server.js', healthPath: '/health', replicas: 1, domains: [HOST] })).status, 201);
  const tarball = join(root, 'node-app.tar.gz');
  await packDirectory(join(REPO, 'examples', 'node-app'), tarball);
  const upload = await fetch(`${controller.apiUrl}/v1/sites/shop/releases`, { method: 'POST', headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/gzip' }, body: await readFile(tarball) });
  assert.equal(upload.status, 201, await upload.text());
  await waitFor(async () => (await siteReplicas(admin, 'shop')).ready === 1, { what: 'a ready server of shop', timeoutMs: 60_000 });
  // a request through each router node, once it routes the site (the app answers 404 for the path)
  for (const [node, path] of [[r1, '/through-r1'], [r2, '/through-r2']] as const) await through(node, path);

  // the customer reads both router nodes' lines, each prefixed `router`
  const logs = (token: string, query: string) => fetch(`${controller.apiUrl}/v1/sites/shop/logs?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const tail = await waitFor(async () => {
    const text = await (await logs(acme, 'source=router')).text();
    return text.includes('/through-r1') && text.includes('/through-r2') ? text : undefined;
  }, { what: "both router nodes' access lines", timeoutMs: 15_000 });
  for (const path of ['/through-r1', '/through-r2']) assert.match(tail, new RegExp(`^router \\| GET ${HOST}${path} 404 \\d+B [\\d.]+ms -> 127\\.0\\.0\\.1:\\d+`, 'm'));
  // `corral logs --source router` prints them (the CLI asks the same route)
  const cli = await ok(runCli(['logs', 'shop', '--source', 'router', '-n', '50'], { env: { CORRAL_API: controller.apiUrl, CORRAL_TOKEN: acme } }));
  assert.match(cli.stdout, new RegExp(`^router \\| GET ${HOST}/through-r1 404 `, 'm'));
  // and by default merged with the app's lines, in time order
  const all = await ok(runCli(['logs', 'shop', '-n', '200', '-t'], { env: { CORRAL_API: controller.apiUrl, CORRAL_TOKEN: acme } }));
  assert.match(all.stdout, new RegExp(`^\\S+ router \\| GET ${HOST}/through-r2 404 `, 'm'));
  assert.match(all.stdout, /^\S+ shop-[a-z0-9-]+ \| .*"path":"\/through-r2"/m, "the app's line of the same request");
  const times = all.stdout.trim().split('\n').map((l) => l.split(' ')[0]!);
  assert.ok(times.length > 2 && times.every((time) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(time)), 'every line begins with its time');
  assert.deepEqual(times, [...times].sort(), 'in time order');

  // another customer sees nothing of it
  const foreign = await logs(globex, 'source=router');
  assert.equal(foreign.status, 404);
  assert.doesNotMatch(await foreign.text(), /through/);

  // the router API: the controllers' token only
  assert.ok(r1.apiUrl, 'r1 serves its API');
  const records = (await admin.call<{ routers: { id: string; apiUrl?: string }[] }>('GET', '/v1/routers')).json.routers;
  assert.equal(records.find((r) => r.id === 'r1')?.apiUrl, r1.apiUrl, 'its record names it');
  const siteKey = (await admin.call<{ site: { id: string } }>('GET', '/v1/sites/shop')).json.site.id;
  const direct = (token?: string) => fetch(`${r1.apiUrl}/v1/sites/${siteKey}/logs?tail=5`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal((await direct()).status, 401);
  assert.equal((await direct('crl_' + 'w'.repeat(43))).status, 401);
  assert.equal((await direct(acme)).status, 403);
  const answered = await direct(controller.adminToken);
  assert.equal(answered.status, 200);
  assert.match(((await answered.json()) as { lines: string[] }).lines.join('\n'), /\/through-r1 404/);

  // follow streams a new request's line
  const followed = await followLogs(t, controller.apiUrl, acme, 'shop', 'source=router');
  await waitFor(() => followed.text().length > 0, { what: 'the head of the followed logs' });
  await waitFor(async () => {
    await httpGet('127.0.0.1', port(r2), '/followed-r2', HOST);
    return followed.text().includes(`router | GET ${HOST}/followed-r2 404`);
  }, { what: 'the new line in the followed logs', timeoutMs: 15_000, intervalMs: 500 });

  // a router node that joins later is followed too
  const r3 = await startRouter('r3');
  await waitFor(async () => {
    await httpGet('127.0.0.1', port(r3), '/via-r3', HOST);
    return followed.text().includes(`router | GET ${HOST}/via-r3 404`);
  }, { what: "the new router node's line in the followed logs", timeoutMs: 15_000, intervalMs: 500 });

  // r2 lost: one clear line in place of its lines, r1's still come, and nothing hangs
  await r2.destroy();
  const started = Date.now();
  const after = await (await logs(acme, 'source=router')).text();
  assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
  assert.match(after, /^router \| corral: router r2 could not be reached \(.*\): its lines are missing here$/m);
  assert.match(after, new RegExp(`^router \\| GET ${HOST}/through-r1 404 `, 'm'));
  assert.doesNotMatch(after, /through-r2/);
  await waitFor(() => /^router \| corral: router r2 could not be reached .*following again once it answers$/m.test(followed.text()), { what: 'the followed logs saying r2\'s lines are missing', timeoutMs: 45_000 });
  await waitFor(async () => {
    await httpGet('127.0.0.1', port(r1), '/still-r1', HOST);
    return followed.text().includes(`router | GET ${HOST}/still-r1 404`);
  }, { what: "r1's lines still followed", timeoutMs: 15_000, intervalMs: 500 });
});

/** The router node's HTTP port. */
function port(node: RouterNode): number {
  return Number(new URL(node.url).port);
}

/** A request through the router node, sent until the site's app answers it (the router routes the site). */
async function through(node: RouterNode, path: string): Promise<void> {
  await waitFor(async () => (await httpGet('127.0.0.1', port(node), path, HOST)).body.includes(`"path":"${path}"`), { what: `${path} answered by the app through ${node.url}`, timeoutMs: 30_000 });
}
