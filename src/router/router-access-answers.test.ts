// Every answered request gets one access record, whoever answered it (request-ends.ts):
// the router's own answers (a rate limit's 429, no endpoint's 503 after its hold, a hygiene 400 of a
// known site, the HTTP→HTTPS 308, an unknown Host's 404), a held request then forwarded
// (heldMs) or left by its client, beside a forwarded one whose record keeps its fields.
// Each in the JSON access log, the per-site text line (`corral logs`) and the site's
// Prometheus series (corral_site_requests_total, from the site stats); an unknown Host in
// the JSON log only. On the raw front and on node:http's.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { request } from 'node:http';
import { parseStamped } from '../lib/stamped-line.ts';
import { selfSigned } from '../lib/tls-testing.ts';
import { waitFor } from '../lib/wait.ts';
import type { Route } from '../model/index.ts';
import { routerMetricsRegistry } from './metrics.ts';
import { trackSiteStats } from './site-stats.ts';
import { captureLog, listen, rawRequest, route, startBackend, startRouter, type Backend, type TestRouter } from './testing.ts';

/** The fields of a forwarded request's JSON access line, as operators parse them (pino's own aside). */
const FORWARDED_FIELDS = ['event', 'site', 'method', 'host', 'path', 'status', 'bytes', 'upstream', 'upstreamMs', 'totalMs', 'retries', 'budgetExhausted', 'complete'];
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname']);

for (const front of ['raw', 'node'] as const) {
  describe(`access records of every answer (${front} front)`, () => {
    test('forwarded: the same fields as before; refused, redirected, unknown: one record each, answeredBy router with its code', async (t) => {
      const h = await harness(t, front);
      const ok = await h.r.send({ host: 's.test', path: '/forwarded' });
      assert.equal(ok.status, 200);
      const forwarded = await h.one('/forwarded');
      assert.deepEqual(fields(forwarded), FORWARDED_FIELDS, 'a forwarded record is unchanged');
      assert.equal(forwarded.upstream, `127.0.0.1:${h.b.port}`);

      assert.equal((await h.r.send({ host: h.limited, path: '/first' })).status, 200);
      const limited = await h.r.send({ host: h.limited, path: '/limited' });
      assert.equal(limited.status, 429);
      const refused = await h.one('/limited');
      assert.deepEqual(pick(refused, 'site', 'status', 'answeredBy', 'code', 'complete'), { site: h.site('limited'), status: 429, answeredBy: 'router', code: 'ROUTER_RATE_LIMITED', complete: true });
      assert.equal(refused.upstream, undefined);
      assert.ok((refused.bytes as number) > 0, 'the 429 was written');
      assert.equal(refused.heldMs, undefined);

      assert.equal((await h.r.send({ host: 'none.test', path: '/none' })).status, 503);
      const none = await h.one('/none'); // held for startHoldMs (its first server may be starting), then refused
      assert.deepEqual(pick(none, 'site', 'status', 'answeredBy', 'code'), { site: h.site('none'), status: 503, answeredBy: 'router', code: 'ROUTER_NO_ENDPOINT' });
      assert.ok((none.heldMs as number) >= 150, `held ${String(none.heldMs)} ms`);

      const dup = await rawRequest(h.r, 'GET /dup HTTP/1.1\r\nHost: s.test\r\nHost: s.test\r\n\r\n');
      assert.match(dup, /^HTTP\/1.1 400 /);
      assert.deepEqual(pick(await h.one('/dup'), 'site', 'status', 'answeredBy', 'code'), { site: h.site('s'), status: 400, answeredBy: 'router', code: 'ROUTER_BAD_REQUEST' });

      const moved = await get(h.r.port, 'secure.test', '/moved');
      assert.equal(moved, 308);
      assert.deepEqual(pick(await h.one('/moved'), 'site', 'status', 'answeredBy', 'code'), { site: h.site('secure'), status: 308, answeredBy: 'router', code: 'ROUTER_HTTPS_REDIRECT' });

      assert.equal((await h.r.send({ host: 'nowhere.test', path: '/unknown' })).status, 404);
      const unknown = await h.one('/unknown');
      assert.deepEqual(pick(unknown, 'site', 'host', 'status', 'answeredBy', 'code'), { site: undefined, host: 'nowhere.test', status: 404, answeredBy: 'router', code: 'ROUTER_UNKNOWN_HOST' });

      // the per-site text lines, as `corral logs <site>` shows them; none for the unknown Host
      const limitedLines = await h.lines('limited', 2);
      assert.match(limitedLines[1]!, /^GET limited-\w+\.test\/limited 429 \d+B [\d.]+ms -> router ROUTER_RATE_LIMITED$/);
      assert.match(limitedLines[0]!, new RegExp(`^GET limited-\\w+\\.test/first 200 \\d+B [\\d.]+ms -> 127\\.0\\.0\\.1:${h.b.port}$`), 'a forwarded line is unchanged');
      assert.match((await h.lines('none', 1))[0]!, /\.test\/none 503 \d+B [\d.]+ms -> router ROUTER_NO_ENDPOINT held=[\d.]+ms$/);
      assert.match((await h.lines('secure', 1))[0]!, /\.test\/moved 308 \d+B [\d.]+ms -> router ROUTER_HTTPS_REDIRECT$/);
      const sLines = await h.lines('s', 2);
      assert.match(sLines[1]!, /\.test\/dup 400 \d+B [\d.]+ms -> router ROUTER_BAD_REQUEST$/);
      assert.deepEqual(readdirSync(h.dir).sort(), ['limited', 'none', 's', 'secure'].map(h.site).sort(), 'no file for an unknown Host');

      // the site series count the router's answers by class, as the site stats heard them
      const metrics = await routerMetricsRegistry.metrics();
      for (const [site, code, n] of [['limited', '2xx', 1], ['limited', '4xx', 1], ['none', '5xx', 1], ['s', '4xx', 1], ['s', '2xx', 1], ['secure', '3xx', 1]] as const) {
        assert.match(metrics, new RegExp(`corral_site_requests_total\\{site="${h.site(site)}",code="${code}"\\} ${n}\\n`), `${site} ${code}`);
      }
      // the endpoint series count forwarded requests only
      assert.doesNotMatch(metrics, new RegExp(`corral_router_upstream_requests_total\\{site="${h.site('none')}"`));
      await h.noMore();
    });

    test('held for an idle site: then forwarded (heldMs, the endpoint answered), or its client left (status 0, not complete)', async (t) => {
      const h = await harness(t, front);
      const served = h.r.send({ host: 'idle.test', path: '/held' });
      await waitFor(() => h.r.router.takeLoad()[h.site('idle')]?.open === 1, { what: 'the request held' });
      const left = h.r.open({ host: 'idle.test', path: '/left' });
      left.res.catch(() => {});
      left.req.on('error', () => {});
      await waitFor(() => h.r.router.takeLoad()[h.site('idle')]?.open === 2, { what: 'the second request held' });
      left.req.destroy();
      const gone = await h.one('/left');
      assert.deepEqual(pick(gone, 'site', 'status', 'complete', 'answeredBy', 'code'), { site: h.site('idle'), status: 0, complete: false, answeredBy: 'router', code: undefined });
      assert.ok((gone.heldMs as number) >= 0);
      h.r.router.setRoutes([...h.routes.filter((r) => r.site !== h.site('idle')), route(h.site('idle'), ['idle.test'], [h.b])]);
      assert.equal((await served).status, 200);
      const woken = await h.one('/held');
      assert.deepEqual(fields(woken), [...FORWARDED_FIELDS, 'heldMs'], 'a forwarded record, and the time held');
      assert.equal(woken.upstream, `127.0.0.1:${h.b.port}`);
      assert.equal(woken.answeredBy, undefined);
      assert.ok(typeof woken.heldMs === 'number' && woken.heldMs > 0);
      const lines = await h.lines('idle', 2);
      assert.match(lines[0]!, /\.test\/left 0 0B [\d.]+ms -> router held=[\d.]+ms incomplete$/);
      assert.match(lines[1]!, new RegExp(`\\.test/held 200 \\d+B [\\d.]+ms -> 127\\.0\\.0\\.1:${h.b.port} held=[\\d.]+ms$`));
      await h.noMore();
    });

    test('the maintenance page, an ACME HTTP-01 answer and a body over the limit: one record each, with their codes', async (t) => {
      const h = await harness(t, front);
      const token = await h.r.send({ host: 'closed.test', path: '/.well-known/acme-challenge/tok' });
      assert.deepEqual([token.status, token.body], [200, 'tok.thumbprint']);
      assert.deepEqual(pick(await h.one('/.well-known/acme-challenge/tok'), 'site', 'status', 'answeredBy', 'code'), { site: h.site('closed'), status: 200, answeredBy: 'router', code: 'ROUTER_ACME_CHALLENGE' });
      assert.equal((await h.r.send({ host: 'closed.test', path: '/closed' })).status, 503);
      assert.deepEqual(pick(await h.one('/closed'), 'site', 'status', 'answeredBy', 'code'), { site: h.site('closed'), status: 503, answeredBy: 'router', code: 'ROUTER_MAINTENANCE' });
      assert.equal((await h.r.send({ host: 'small.test', method: 'POST', path: '/big', body: 'x'.repeat(100) })).status, 413);
      assert.deepEqual(pick(await h.one('/big'), 'site', 'status', 'answeredBy', 'code'), { site: h.site('small'), status: 413, answeredBy: 'router', code: 'ROUTER_BODY_TOO_LARGE' });
      assert.match((await h.lines('closed', 2))[1]!, /\.test\/closed 503 \d+B [\d.]+ms -> router ROUTER_MAINTENANCE$/);
      assert.equal(h.b.seen.length, 0, 'none reached the endpoint');
      await h.noMore();
    });
  });
}

interface Harness {
  r: TestRouter;
  b: Backend;
  routes: Route[];
  dir: string;
  /** The host of the rate-limited site (its own per test: the limit is per site). */
  limited: string;
  /** This test's name for a site (the Prometheus series are process-wide). */
  site(name: string): string;
  /** The one JSON access record of path (waits for it). */
  one(path: string): Promise<Record<string, unknown>>;
  /** The site's per-site text lines (their text), once there are n. */
  lines(site: string, n: number): Promise<string[]>;
  /** After a last request's record: no path has more than one record. */
  noMore(): Promise<void>;
}

let runs = 0;

async function harness(t: TestContext, front: 'raw' | 'node'): Promise<Harness> {
  const tag = `${front}${++runs}`;
  const site = (name: string) => `${name}-${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'corral-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = await startBackend(t, 'b');
  const limited = `limited-${tag}.test`;
  const routes: Route[] = [
    route(site('s'), ['s.test'], [b]),
    { ...route(site('limited'), [limited], [b]), limits: { requestsPerSecond: 1, burst: 1 } },
    route(site('none'), ['none.test'], []),
    { ...route(site('idle'), ['idle.test'], []), idle: true },
    { ...route(site('secure'), ['secure.test'], [b]), httpsRedirect: true },
    { ...route(site('closed'), ['closed.test'], [b]), maintenance: { on: true }, acme: { http01: { tok: 'tok.thumbprint' } } },
    { ...route(site('small'), ['small.test'], [b]), limits: { maxBodyBytes: 10 } },
  ];
  const { log, events } = captureLog();
  const tls = selfSigned(t, 'default.localhost', ['DNS:localhost']);
  const r = await startRouter(t, routes, { accessLog: log, metrics: true, siteLogDir: dir, rawFront: front === 'raw', tls, wakeTimeoutMs: 60_000, startHoldMs: 200 });
  await listen(r.router.tlsServer as unknown as Parameters<typeof listen>[0]); // the redirect waits for a listening HTTPS side
  r.router.setCertificates([{ site: site('secure'), ...selfSigned(t, 'secure.test', ['DNS:secure.test']) }]);
  const stats = trackSiteStats(r.router);
  t.after(() => stats.close());
  const records = (path: string) => events('access').filter((e) => e.path === path);
  const h: Harness = {
    r,
    b,
    routes,
    dir,
    limited,
    site,
    async one(path) {
      await waitFor(() => records(path).length > 0, { what: `the access record of ${path}` });
      return records(path)[0]!;
    },
    async lines(name, n) {
      const file = join(dir, site(name), 'router.log');
      const read = () => {
        try {
          return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => parseStamped(l).text);
        } catch {
          return [];
        }
      };
      await waitFor(() => read().length >= n, { what: `${n} lines for ${name}` });
      const lines = read();
      assert.equal(lines.length, n, `exactly ${n} lines for ${name}`);
      return lines;
    },
    async noMore() {
      assert.equal((await r.send({ host: 's.test', path: '/last' })).status, 200);
      await h.one('/last');
      const paths = events('access').map((e) => e.path as string);
      assert.deepEqual(paths.filter((p, i) => paths.indexOf(p) !== i), [], 'one record per request');
    },
  };
  return h;
}

/** The record's own fields, in order. */
function fields(record: Record<string, unknown>): string[] {
  return Object.keys(record).filter((k) => !PINO_FIELDS.has(k));
}

function pick(record: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** A plain GET with its own connection: the status. */
function get(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
