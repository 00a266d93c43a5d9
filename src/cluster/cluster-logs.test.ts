// `corral logs` and `corral vs exec` on a farm on etcd: a controller and engines joined to
// it, each engine serving its VSs' output and exec through its own API (engine-api.ts),
// which the controller reads with the farm's admin token. An app site with a server on each
// of two engines: its customer tails both servers' lines (`corral logs` prints them too)
// and follows a new one; another customer gets 404; the engine API refuses anyone but the
// controllers; an engine lost gives its server a clear line while the other's still come,
// within seconds. Exec (the namespace runtime only) runs inside a guest on a joined engine.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { namespaceSkip } from '../engine/namespace/testing.ts';
import { httpGet, onCleanup, tempDir } from '../engine/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { packDirectory } from '../lib/tarball.ts';
import { waitFor } from '../lib/wait.ts';
import { etcdMissing, startEtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode } from './index.ts';
import { followLogs, startEtcdFarm, startNamespaceEngine } from './testing.ts';
import { apiOf, siteReplicas, uploadStaticExample } from '../../test/helpers/cluster-api.ts';
import { ok, REPO, runCli } from '../../test/helpers/farm-process.ts';

const skip = etcdMissing();

interface VsView {
  vs: string;
  engine: string;
  address: string;
  port: number;
}

it("a site's lines come from the engines its servers run on, for its customer only; a lost engine costs only its own", { skip, timeout: 120_000 }, async (t) => {
  const root = await tempDir(t, 'corral-cluster-logs-');
  const etcd = await startEtcdCluster({ members: 1 });
  onCleanup(t, () => etcd.close());
  // the lost engine's server stays assigned meanwhile, so the logs still name it
  const controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger, engineLostGraceMs: 120_000 });
  onCleanup(t, () => controller.close());
  const admin = apiOf(() => [controller.apiUrl], controller.adminToken);
  const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
  const engines = new Map<string, Awaited<ReturnType<typeof startEngineNode>>>();
  for (const id of ['e1', 'e2']) {
    const engine = await startEngineNode({ join: controller.apiUrl, token: joinToken, id, dir: join(root, id), address: '127.0.0.1', runtime: 'process', leaseTtlSeconds: 2, log: silentLogger });
    onCleanup(t, () => engine.close());
    engines.set(id, engine);
  }
  const acme = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'acme' })).json.token;
  const globex = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'globex' })).json.token;
  assert.equal((await admin.call('POST', '/v1/sites', { name: 'shop', customer: 'acme', kind: 'app', command: 'node server.js', healthPath: '/health', replicas: 2, domains: ['shop.acme.test'] })).status, 201);
  const tarball = join(root, 'node-app.tar.gz');
  await packDirectory(join(REPO, 'examples', 'node-app'), tarball);
  const upload = await fetch(`${controller.apiUrl}/v1/sites/shop/releases`, { method: 'POST', headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/gzip' }, body: await readFile(tarball) });
  assert.equal(upload.status, 201, await upload.text());
  await waitFor(async () => (await siteReplicas(admin, 'shop')).ready === 2, { what: '2 ready servers of shop', timeoutMs: 60_000 });
  const servers = (await admin.call<{ virtualServers: VsView[] }>('GET', '/v1/sites/shop/status')).json.virtualServers;
  const on = (engine: string) => servers.find((v) => v.engine === engine)!;
  assert.deepEqual(servers.map((v) => v.engine).sort(), ['e1', 'e2'], 'one server on each engine');
  for (const v of servers) assert.equal((await httpGet(v.address, v.port, `/hello-${v.engine}`)).status, 404); // the app logs one line per request

  // the customer reads both servers' lines, each prefixed with its VS
  const logs = (token: string, query = '') => fetch(`${controller.apiUrl}/v1/sites/shop/logs${query}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const tail = await waitFor(async () => {
    const text = await (await logs(acme)).text();
    return servers.every((v) => text.includes(`${v.vs} | `) && text.includes(`/hello-${v.engine}`)) ? text : undefined;
  }, { what: "both servers' request lines", timeoutMs: 15_000 });
  for (const v of servers) assert.match(tail, new RegExp(`^${v.vs} \\| .*"event":"listening"`, 'm'));
  // and `corral logs` prints them (the CLI asks the same route)
  const cli = await ok(runCli(['logs', 'shop', '-n', '50'], { env: { CORRAL_API: controller.apiUrl, CORRAL_TOKEN: acme } }));
  for (const v of servers) assert.match(cli.stdout, new RegExp(`^${v.vs} \\| .*/hello-${v.engine}`, 'm'));

  // another customer sees nothing of it
  const foreign = await logs(globex);
  assert.equal(foreign.status, 404);
  assert.doesNotMatch(await foreign.text(), /hello/);

  // the engine API: the controllers' token only
  const direct = (token?: string) => fetch(`${engines.get('e1')!.apiUrl}/v1/vs/${on('e1').vs}/logs?tail=5`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal((await direct()).status, 401);
  assert.equal((await direct('crl_' + 'w'.repeat(43))).status, 401);
  assert.equal((await direct(acme)).status, 403);
  assert.equal((await direct(controller.adminToken)).status, 200);

  // follow streams a new line
  const followed = await followLogs(t, controller.apiUrl, acme, 'shop');
  await waitFor(() => followed.text().length > 0, { what: 'the head of the followed logs' });
  await waitFor(async () => {
    await httpGet(on('e1').address, on('e1').port, '/followed');
    return followed.text().includes(`${on('e1').vs} | `) && followed.text().includes('/followed');
  }, { what: 'the new line in the followed logs', timeoutMs: 15_000, intervalMs: 500 });

  // e2 lost: its server's lines give way to one clear line, e1's still come, and nothing hangs
  await engines.get('e2')!.destroy();
  const started = Date.now();
  const after = await (await logs(acme)).text();
  assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
  assert.match(after, new RegExp(`^${on('e2').vs} \\| corral: engine e2 could not be reached .*: its lines are missing here$`, 'm'));
  assert.match(after, new RegExp(`^${on('e1').vs} \\| .*/hello-e1`, 'm'));
  await waitFor(() => new RegExp(`^${on('e2').vs} \\| corral: engine e2 could not be reached .*following again once it answers$`, 'm').test(followed.text()), { what: "the followed logs saying e2's lines are missing", timeoutMs: 45_000 });
  await httpGet(on('e1').address, on('e1').port, '/still');
  await waitFor(() => followed.text().includes('/still'), { what: "e1's lines still followed", timeoutMs: 15_000 });
});

it('vs exec runs a command inside a guest on a joined engine, through its engine API', { skip: skip || (await namespaceSkip()), timeout: 90_000 }, async (t) => {
  const farm = await startEtcdFarm(t, 'corral-cluster-exec-');
  const { controller, admin } = farm;
  await startNamespaceEngine(t, farm);
  const acme = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'acme' })).json.token;
  assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: ['www.acme.test'], kind: 'static', replicas: 1, pooled: false })).status, 201);
  assert.equal((await uploadStaticExample(controller.apiUrl, controller.adminToken, 'www')).status, 201);
  await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1, { what: 'a ready server', timeoutMs: 30_000 });
  const { vs } = (await siteReplicas(admin, 'www')).all[0]!;
  const ran = await admin.call<{ stdout: string; code: number }>('POST', `/v1/vs/${vs}/exec`, { argv: ['cat', 'index.html'], timeoutMs: 10_000 });
  assert.equal(ran.status, 200, JSON.stringify(ran.json));
  assert.equal(ran.json.code, 0);
  assert.equal(ran.json.stdout, await readFile(join(REPO, 'examples', 'static-site', 'index.html'), 'utf8'));
  // operators only, as on one machine
  assert.equal((await apiOf(() => [controller.apiUrl], acme).call('POST', `/v1/vs/${vs}/exec`, { argv: ['id'] })).status, 403);
});
