// End to end: `corral up`, a site deployed, traffic through the router, then /metrics
// scraped on the controller: the per-site request series count exactly the traffic sent,
// and the engine's and the reconciler's series are there. Also: who may scrape, and the
// audit trail of what the test did.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');

async function scrape(farm: FarmProcess, token?: string): Promise<{ status: number; body: string; type: string }> {
  const res = await request(`${farm.apiUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: await res.body.text(), type: String(res.headers['content-type']) };
}

/** The value of one series line, e.g. value(body, 'corral_site_requests_total{site="www",code="2xx"}'). */
function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics on a one-machine farm', () => {
  let farm: FarmProcess;
  let customerToken = '';

  before(async () => {
    farm = await startFarmProcess();
    // Customer and site through the API (quicker than the CLI, tested elsewhere); the deploy through the CLI.
    const created = await request(`${farm.apiUrl}/v1/customers`, { method: 'POST', headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'acme' }) });
    customerToken = ((await created.body.json()) as { token: string }).token;
    const site = await request(`${farm.apiUrl}/v1/sites`, {
      method: 'POST', headers: { authorization: `Bearer ${customerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'www', domains: ['www.acme.test'], kind: 'static' }),
    });
    assert.equal(site.statusCode, 201, await site.body.text());
    const deploy = await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: customerToken }));
    assert.match(deploy.stderr, /^rollout replicas ready 1\/1 \(release v1\) — ready$/m, 'plain progress lines without a terminal');
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('needs the admin token unless opened', async () => {
    assert.equal((await scrape(farm)).status, 401);
    assert.equal((await scrape(farm, customerToken)).status, 403);
    assert.match(farm.output(), /metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics\s+\(admin token\)/);
  });

  it('counts the traffic sent, by site and status class, with latency histograms', async () => {
    const before = await scrape(farm, farm.token);
    const ok2xx = 'corral_site_requests_total{site="www",code="2xx"}';
    const ok4xx = 'corral_site_requests_total{site="www",code="4xx"}';
    const base2 = value(before.body, ok2xx) ?? 0;
    const base4 = value(before.body, ok4xx) ?? 0;
    for (let i = 0; i < 25; i++) assert.equal((await get(farm.routerUrl, 'www.acme.test', '/')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await get(farm.routerUrl, 'www.acme.test', '/no-such-page')).status, 404);
    // The router counts a request when its response has finished: poll, do not sleep.
    const after = await waitFor(async () => {
      const m = await scrape(farm, farm.token);
      return value(m.body, ok2xx) === base2 + 25 && value(m.body, ok4xx) === base4 + 5 ? m : undefined;
    }, { timeoutMs: 5000, what: 'the request counters to reach the traffic sent' });
    assert.equal(after.status, 200);
    assert.match(after.type, /^text\/plain; version=0\.0\.4/);
    const b = after.body;
    assert.ok((value(b, 'corral_site_request_duration_seconds_count{site="www"}') ?? 0) >= base2 + base4 + 30);
    assert.match(b, /^corral_router_upstream_requests_total\{[^}]*site="www"[^}]*code="2xx"[^}]*\} [1-9]\d*$/m, 'per endpoint too');
    assert.match(b, /^corral_router_active_connections \d+$/m);
    assert.ok((value(b, 'corral_site_request_duration_seconds_bucket{le="+Inf",site="www"}') ?? 0) >= 30);
    // The engine: VS states, capacity and use.
    assert.ok((value(b, `corral_vs_state{engine="${engineOf(b)}",state="ready"}`) ?? 0) >= 1);
    assert.ok((value(b, `corral_engine_virtual_servers{engine="${engineOf(b)}"}`) ?? 0) >= 1);
    assert.ok((value(b, `corral_engine_capacity{engine="${engineOf(b)}",resource="cpus"}`) ?? 0) >= 1);
    assert.match(b, /^corral_vs_memory_bytes\{engine="[^"]+",vs="[^"]+"\} [1-9]\d*$/m);
    // The controller: reconcile loop timings and API requests.
    assert.ok((value(b, 'corral_reconcile_duration_seconds_count') ?? 0) >= 1);
    assert.ok((value(b, 'corral_reconcile_actions_total{kind="create"}') ?? 0) >= 1);
    assert.ok((value(b, 'corral_api_requests_total{method="POST",route="/v1/sites",status="201"}') ?? 0) >= 1);
  });

  it('keeps an audit trail of the calls that changed state, readable with corral events', async () => {
    const all = JSON.parse((await ok(farm.cli(['events', '--json']))).stdout) as { events: { action: string; principal: string; result: string }[] };
    const actions = all.events.map((e) => `${e.principal} ${e.action} ${e.result}`);
    for (const expected of ['admin:admin customer.create ok', 'customer:acme:first site.create ok', 'customer:acme:first release.upload ok']) {
      assert.ok(actions.includes(expected), `${expected} in ${actions.join('; ')}`);
    }
    assert.ok(all.events.some((e) => e.action === 'engine.joined'), 'farm events too');
    const mine = (await ok(farm.cli(['events'], { token: customerToken }))).stdout;
    assert.match(mine, /^TIME\s+KIND\s+ACTION\s+WHO\s+TARGET\s+RESULT\s+DETAIL$/m);
    assert.match(mine, /site\.create\s+customer:acme:first\s+site\/www\s+ok 201/);
    assert.doesNotMatch(mine, /engine\.joined/, 'a customer sees no farm-wide events');
  });

  it('lists releases and the farm as readable tables', async () => {
    assert.match((await ok(farm.cli(['releases', 'www'], { token: customerToken }))).stdout, /^v1\s+1\s+[0-9a-f]{12}\s+.*current$/m);
    const status = (await ok(farm.cli(['status']))).stdout;
    assert.match(status, /^ENGINE\s+RUNTIME\s+CPUS\s+MEMORY\s+VIRTUAL SERVERS\s+STATE$/m);
    assert.match(status, /^www\s+static\s+v1\s+1\/1 ✓\s+-\s+www\.acme\.test$/m);
    assert.match((await ok(farm.cli(['status', '--wide']))).stdout, /^www\s+static\s+v1\s+1\/1 ✓\s+-\s+acme\s+www\.acme\.test$/m);
    assert.match(status, /^virtual servers: 1 \(1 ready\)$/m);
  });
});

function engineOf(body: string): string {
  return /corral_engine_virtual_servers\{engine="([^"]+)"\}/.exec(body)?.[1] ?? '?';
}
