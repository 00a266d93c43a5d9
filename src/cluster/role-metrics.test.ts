// --metrics-port of the cluster roles, in one process on loopback: an engine and a router
// joined to a controller on etcd, each serving GET /metrics on its own listener; a site
// served through the router shows in the router's per-site series and the engine's VS
// states. (The controller serves /metrics through its API, tested in test/metrics.test.ts.)

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../test/helpers/farm-process.ts';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode, startRouterNode, type ControllerNode, type EngineNode, type RouterNode } from './index.ts';
import { apiOf, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';
import { get } from '../../test/helpers/http.ts';

const skip = etcdMissing();
const HOST = 'www.acme.test';

function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('/metrics on the engine and router roles', { skip, timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-role-metrics-'));
  let etcd: EtcdCluster;
  let controller: ControllerNode;
  let engine: EngineNode;
  let router: RouterNode;
  let admin: Api;

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
    controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger });
    admin = apiOf(() => [controller.apiUrl], controller.adminToken);
    const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
    engine = await startEngineNode({ join: controller.apiUrl, token: joinToken, id: 'e1', dir: join(root, 'e1'), log: silentLogger, metrics: { port: 0 } });
    router = await startRouterNode({ join: controller.apiUrl, token: joinToken, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger, metrics: { port: 0 } });
  });

  after(async () => {
    await router?.close();
    await engine?.close().catch(() => {});
    await controller?.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serve their key series on loopback, counting the traffic sent', async () => {
    assert.match(engine.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.match(router.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal((await fetch(router.metricsUrl!.replace('/metrics', '/'))).status, 404, 'only /metrics');

    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: [HOST], kind: 'static', replicas: 1 })).status, 201);
    assert.equal((await uploadStaticExample(controller.apiUrl, controller.adminToken, 'www')).status, 201);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1, { what: 'a ready replica', timeoutMs: 20_000 });
    await waitFor(async () => (await get(router.url, HOST)).status === 200, { what: 'the router serving the site' });

    const series = 'corral_site_requests_total{site="www",code="2xx"}';
    const base = value(await scrape(router.metricsUrl!), series) ?? 0;
    for (let i = 0; i < 10; i++) assert.equal((await get(router.url, HOST)).status, 200);
    const r = await waitFor(async () => {
      const text = await scrape(router.metricsUrl!);
      return value(text, series) === base + 10 ? text : undefined;
    }, { what: 'the router counting the 10 requests', timeoutMs: 5000 });
    assert.ok((value(r, 'corral_site_request_duration_seconds_count{site="www"}') ?? 0) >= base + 10);
    assert.match(r, /^corral_router_upstream_requests_total\{site="www",endpoint="[^"]+",code="2xx"\} \d+$/m);
    assert.doesNotMatch(r, /^corral_vs_state/m, "the router's own series only");

    const e = await scrape(engine.metricsUrl!);
    assert.equal(value(e, 'corral_vs_state{engine="e1",state="ready"}'), 1);
    assert.equal(value(e, 'corral_engine_virtual_servers{engine="e1"}'), 1);
    assert.ok((value(e, 'corral_engine_capacity{engine="e1",resource="cpus"}') ?? 0) >= 1);
    assert.doesNotMatch(e, /^corral_site_requests_total\{/m, "the engine's own series only");
  });
});

it('a bad --metrics-port is refused with a clear error before joining', async () => {
  for (const role of ['router', 'engine']) {
    const r = await runCli([role, '--join', 'http://127.0.0.1:9', '--token', 'x', '--metrics-port', 'ninety']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--metrics-port must be a port number \(0–65535\), got "ninety"/);
  }
});
