// End to end: `corral up --router-workers 2`: traffic served by the workers shows up on the
// controller's /metrics (every worker's values summed in the primary) and in the site's
// stats series the console charts (GET /v1/sites/:name/stats); the workers serve the site
// over HTTPS too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');

async function api(farm: FarmProcess, path: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await request(`${farm.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics and site stats with router workers', () => {
  let farm: FarmProcess;
  let customerToken = '';

  before(async () => {
    farm = await startFarmProcess({ extraArgs: ['--router-workers', '2'] });
    customerToken = (JSON.parse((await api(farm, '/v1/customers', farm.token, { name: 'acme' })).text) as { token: string }).token;
    assert.equal((await api(farm, '/v1/sites', customerToken, { name: 'www', domains: ['www.acme.test'], kind: 'static' })).status, 201);
    await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: customerToken }));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('counts the traffic the workers served, on /metrics and in the stats series', async () => {
    // a loaded machine may let a request through before both workers hold the new route (404, not the site's) or its
    // endpoint (503, the site's): poll until one is served, and count the site's among them
    let early = 0;
    await waitFor(async () => {
      const { status } = await get(farm.routerUrl, 'www.acme.test', '/');
      if (status !== 404) early++;
      return status === 200;
    }, { timeoutMs: 10_000, what: 'the site served through the router' });
    const N = 30;
    // whichever worker the connection landed on (fresh connections over both: src/router/cluster-stats.test.ts)
    for (let i = 0; i < N; i++) assert.equal((await get(farm.routerUrl, 'www.acme.test', '/')).status, 200);
    const metrics = await waitFor(async () => {
      const m = await api(farm, '/metrics', farm.token);
      return value(m.text, 'corral_site_requests_total{site="www",code="2xx"}') === N + 1 ? m.text : undefined;
    }, { timeoutMs: 5000, what: 'the merged request counter to reach the traffic sent' });
    assert.equal(metrics.match(/^# TYPE corral_site_requests_total counter$/gm)?.length, 1);
    assert.equal(value(metrics, 'corral_site_requests_total{site="www",code="5xx"}') ?? 0, early - 1, 'the early requests, answered 5xx');
    assert.equal(value(metrics, 'corral_site_request_duration_seconds_count{site="www"}'), N + early);
    assert.match(metrics, new RegExp(`^corral_router_upstream_requests_total\\{site="www",endpoint="[^"]+",code="2xx"\\} ${N + 1}$`, 'm'));
    assert.ok((value(metrics, 'corral_engine_virtual_servers{engine="' + (/corral_engine_virtual_servers\{engine="([^"]+)"\}/.exec(metrics)?.[1] ?? '?') + '"}') ?? 0) >= 1, "this process's own parts too");
    // and pages not found: client errors (4xx), counted apart from server errors (5xx)
    const M = 6;
    for (let i = 0; i < M; i++) assert.equal((await get(farm.routerUrl, 'www.acme.test', '/no-such-page')).status, 404);
    // the series ends at the last whole second: poll until the traffic's seconds have closed
    type Point = { requests: number; errors: number; clientErrors?: number };
    const sum = (points: Point[], k: keyof Point) => points.reduce((n, p) => n + (p[k] ?? 0), 0);
    const points = await waitFor(async () => {
      const s = JSON.parse((await api(farm, '/v1/sites/www/stats?seconds=60', customerToken)).text) as { points: Point[] };
      return sum(s.points, 'requests') === N + early + M ? s.points : undefined;
    }, { timeoutMs: 5000, what: 'the stats series to count the traffic sent' });
    assert.deepEqual([sum(points, 'clientErrors'), sum(points, 'errors')], [M, early - 1]);
  });

  it('serves the site over HTTPS from the workers', async () => {
    const httpsUrl = /https\s+(https:\/\/127\.0\.0\.1:\d+)/.exec(farm.output())?.[1];
    assert.ok(httpsUrl, farm.output());
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false, servername: 'www.acme.test' } });
    try {
      for (let i = 0; i < 4; i++) {
        const res: Dispatcher.ResponseData = await request(`${httpsUrl}/`, { headers: { host: 'www.acme.test' }, dispatcher, reset: true });
        assert.equal(res.statusCode, 200);
        assert.match(await res.body.text(), /Corral static example/);
      }
    } finally {
      await dispatcher.close();
    }
  });
});
