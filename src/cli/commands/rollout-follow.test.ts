import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../lib/wait.ts';
import { keys, type Assignment, type EngineRecord, type Route, type SiteStatus, type VsStatus } from '../../model/index.ts';
import { staticSite } from '../../controller/test-harness.ts';
import { startCliHarness, type CliHarness, type CliRun } from '../cli-testing.ts';
import { run } from '../main.ts';
import { notReadyText, QUIET_RECHECK_MS } from './rollout-follow.ts';

// `corral deploy` against a real controller, through a proxy that counts what the CLI asks
// for and can break the status stream: the rollout is acted out by writing the records an
// engine and the reconciler would write (VS statuses, the route).

type StreamMode = 'pass' | 'drop-after-first' | 'missing';

interface Proxy {
  url: string;
  /** Status stream requests, and `status` events passed on. */
  streams: number;
  events: number;
  /** When the last `status` event was passed on (Date.now()). */
  lastEventAt: number;
  dropped: boolean;
  /** GET /v1/sites/blog/status requests, each with the events passed on before it. */
  statusReads: number[];
  /** The answers to those requests, each once it has been passed on whole. */
  statusAnswers: SiteStatus[];
}

async function startProxy(t: TestContext, target: string, mode: StreamMode): Promise<Proxy> {
  const p: Proxy = { url: '', streams: 0, events: 0, lastEventAt: 0, dropped: false, statusReads: [], statusAnswers: [] };
  const server = createServer((req, res) => {
    if (req.url === '/v1/status/stream') {
      p.streams++;
      if (mode === 'missing' || (mode === 'drop-after-first' && p.dropped)) {
        res.writeHead(mode === 'missing' ? 404 : 503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such route' } }));
      }
      return forward(target, req, res, (chunk) => {
        const n = chunk.toString().split('event: status\n').length - 1;
        p.events += n;
        if (n > 0) p.lastEventAt = Date.now();
        if (mode === 'drop-after-first' && n > 0) {
          p.dropped = true;
          return 'drop';
        }
        return 'pass';
      });
    }
    if (req.method === 'GET' && req.url === '/v1/sites/blog/status') {
      p.statusReads.push(p.events);
      const body: Buffer[] = [];
      return forward(target, req, res, (chunk) => (body.push(chunk), 'pass'), () => void p.statusAnswers.push(JSON.parse(Buffer.concat(body).toString()) as SiteStatus));
    }
    forward(target, req, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}

/** Passes req on to target and its answer back; onChunk may cut the answer off (the socket destroyed); onEnd runs when all of it is passed on. */
function forward(target: string, req: IncomingMessage, res: ServerResponse, onChunk?: (chunk: Buffer) => 'pass' | 'drop', onEnd?: () => void): void {
  const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.on('data', (chunk: Buffer) => {
      if (onChunk?.(chunk) === 'drop') {
        answer.destroy();
        res.write(chunk, () => res.socket?.destroy());
        return;
      }
      res.write(chunk);
    });
    answer.on('end', () => {
      onEnd?.();
      res.end();
    });
  });
  up.on('error', () => res.destroy());
  res.on('close', () => up.destroy());
  req.pipe(up);
}

interface Farm {
  h: CliHarness;
  proxy: Proxy;
  dir: string;
  /** A VS of blog at release, assigned (what the reconciler writes, started with `env`) and in a state (what its engine reports, `seen` of it). */
  vs(name: string, release: string, state: VsStatus['state'], env?: Record<string, string>, seen?: Partial<VsStatus>): Promise<void>;
  /** The router's endpoints of blog (what the reconciler publishes). */
  route(endpoints: { vs: string; release: string }[]): Promise<void>;
  deploy(...flags: string[]): Promise<CliRun>;
  /** Any command, through the proxy. */
  corral(...args: string[]): Promise<CliRun>;
}

/**
 * blog is a static site with a VS of its own (`pooled: false`: the rollout is acted out on
 * per-site VSs) unless `pooled`: then it is in acme's pool VS on engine e1 (registered, so
 * the farm can hold its replica).
 */
async function farm(t: TestContext, mode: StreamMode, pooled = false): Promise<Farm> {
  const h = await startCliHarness(t);
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog', { replicas: 1, pooled }), customer: 'acme' })).status, 201);
  if (pooled) {
    const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 4096, maxVirtualServers: 64 }, startedAt: new Date().toISOString() };
    await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  }
  const proxy = await startProxy(t, h.url, mode);
  const dir = await mkdtemp(join(tmpdir(), 'corral-rollout-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.html'), 'hello');
  const at = new Date().toISOString();
  return {
    h,
    proxy,
    dir,
    vs: async (name, release, state, env = {}, seen = {}) => {
      const status: VsStatus = { vs: name, engine: 'e1', site: 'blog', release, state, restarts: 0, updatedAt: at, address: '127.0.0.1', port: 9, ...seen };
      const assignment: Assignment = { vs: name, engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release, sha256: '0'.repeat(64), healthPath: '/', env, domains: ['blog.example.com'], createdAt: at };
      await h.store.put(keys.assignment('e1', name), JSON.stringify(assignment));
      await h.store.put(keys.vsStatus('e1', name), JSON.stringify(status));
    },
    route: async (endpoints) => {
      const route: Route = { site: 'blog', domains: ['blog.example.com'], endpoints: endpoints.map((e) => ({ ...e, address: '127.0.0.1', port: 9 })), updatedAt: at };
      await h.store.put(keys.route('blog'), JSON.stringify(route));
    },
    deploy: (...flags) => corral('deploy', dir, '--site', 'blog', ...flags),
    corral,
  };
  async function corral(...args: string[]): Promise<CliRun> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['--api', proxy.url, '--token', h.admin.token!, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
}

/** v0 serves; the deploy of v1 then waits until v1 is ready and the route serves only v1. */
async function actOutRollout(f: Farm, following: () => boolean): Promise<void> {
  await waitFor(following, { what: 'the CLI following the rollout' });
  // each step waits until the CLI has been answered with the new state, not only asked: a
  // read already on its way when the state changed (an earlier record's event) sees the old one
  const step = async (state: VsStatus['state']) => {
    await f.vs('blog-1', 'v1', state);
    const seen = (a: SiteStatus) => a.virtualServers.some((v) => v.vs === 'blog-1' && v.state === state);
    await waitFor(() => f.proxy.statusAnswers.some(seen), { what: `the CLI reading the status after v1 ${state}` });
  };
  await step('starting');
  await step('ready');
  await f.route([{ vs: 'blog-1', release: 'v1' }]);
}

async function serveV0(f: Farm): Promise<void> {
  await f.vs('blog-0', 'v0', 'ready');
  await f.route([{ vs: 'blog-0', release: 'v0' }]);
}

const ROLLOUT_LINES = /^rollout replicas ready 0\/1 \(release v1\)$[\s\S]*^rollout replicas ready 0\/1 \(release v1\) — starting$[\s\S]*^rollout replicas ready 1\/1 \(release v1\) — ready$/m;

test('corral deploy follows the rollout through the status stream: one status read per change, none in between', async (t) => {
  const f = await farm(t, 'pass');
  await serveV0(f);
  const started = Date.now();
  const deploying = f.deploy();
  await actOutRollout(f, () => f.proxy.events > 0 && f.proxy.statusReads.length > 0);
  const r = await deploying;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^deployed blog v1 in \d+\.\d s$/m);
  assert.match(r.err, ROLLOUT_LINES);
  assert.equal(f.proxy.streams, 1);
  // one read at the start, then at most one per event (and one per quiet spell, on a slow
  // machine): the CLI waits on the stream, not a 200 ms timer
  const quiet = Math.floor((Date.now() - started) / QUIET_RECHECK_MS);
  assert.ok(f.proxy.statusReads.length <= 1 + f.proxy.events + quiet, `${f.proxy.statusReads.length} reads for ${f.proxy.events} events`);
});

test('corral deploy --timeout: a quiet stream still ends at the deadline with the same error and exit code', async (t) => {
  const f = await farm(t, 'pass');
  for (const bad of ['0', '-1', ' 5', '5 hours', '0x10']) {
    const refused = await f.deploy('--timeout', bad);
    assert.equal(refused.code, 1, bad);
    assert.match(refused.err, /--timeout must be a time above 0 such as 120 \(seconds\), 90s or 5m, got/, bad);
  }
  const r = await f.deploy('--timeout', '1');
  assert.equal(r.code, 1);
  assert.match(r.err, /rollout of blog v1 not ready after 1 s \(0\/1 ready\); see `corral logs blog`/);
  assert.equal(f.proxy.streams, 1);
  // at the start, on the stream's first view and at the deadline; polling would have read about 6 times
  assert.ok(f.proxy.statusReads.length <= 3, `${f.proxy.statusReads.length} reads in 1 s`);
});

test('corral deploy: the controller drops the stream mid-rollout and refuses it again; the CLI polls and finishes the same way', async (t) => {
  const f = await farm(t, 'drop-after-first');
  await serveV0(f);
  const deploying = f.deploy();
  await actOutRollout(f, () => f.proxy.dropped && f.proxy.streams >= 2);
  const r = await deploying;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^deployed blog v1 in \d+\.\d s$/m);
  assert.match(r.err, ROLLOUT_LINES);
  assert.equal(f.proxy.streams, 2, 'one stream, dropped; one attempt to open it again (503)');
});

test('corral deploy: a controller without the status stream (404) is polled', async (t) => {
  const f = await farm(t, 'missing');
  await serveV0(f);
  const deploying = f.deploy();
  await actOutRollout(f, () => f.proxy.streams === 1 && f.proxy.statusReads.length > 0);
  const r = await deploying;
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, ROLLOUT_LINES);
  assert.equal(f.proxy.events, 0);
  await writeFile(join(f.dir, 'index.html'), 'hello again');
  const replaced = f.deploy('--timeout', '5');
  await waitFor(() => f.proxy.statusReads.length > 0 && f.proxy.streams === 2, { what: 'the second deploy following' });
  assert.equal((await f.h.admin.post('/v1/sites/blog/rollback', {})).status < 300, true);
  const gone = await replaced;
  assert.equal(gone.code, 1);
  assert.match(gone.err, /release v2 is no longer the desired release of blog \(now v1\)/);
});

/** A pool VS of acme holding blog at release (assigned, ready, its status showing it). */
async function pooled(f: Farm, release: string): Promise<void> {
  const at = new Date().toISOString();
  const assignment: Assignment = {
    vs: 'pool-acme-1', engine: 'e1', site: 'pool', customer: 'acme', kind: 'static', release: 'pool', sha256: '0'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: at,
    pool: { sites: [{ site: 'blog', release, sha256: '1'.repeat(64), domains: ['blog.example.com'] }] },
  };
  const status: VsStatus = { vs: 'pool-acme-1', engine: 'e1', site: 'pool', release: 'pool', state: 'ready', restarts: 0, updatedAt: at, address: '127.0.0.1', port: 9, sites: { blog: release } };
  await f.h.store.put(keys.assignment('e1', 'pool-acme-1'), JSON.stringify(assignment));
  await f.h.store.put(keys.vsStatus('e1', 'pool-acme-1'), JSON.stringify(status));
}

test('corral deploy of a pooled site: the pool showing the release, then its route, end the wait at once', async (t) => {
  // the pool VS's own site and release are the pool's; the release it serves of blog is in
  // its status `sites`, and its route to blog changes nothing else of the farm view
  const f = await farm(t, 'pass', true);
  const pool = (release: string) => pooled(f, release);
  await pool('v0');
  await f.route([{ vs: 'pool-acme-1', release: 'v0' }]);
  const deploying = f.deploy();
  await waitFor(() => f.proxy.events > 0 && f.proxy.statusReads.length > 0, { what: 'the CLI following the rollout' });
  const reads = f.proxy.statusReads.length;
  await pool('v1');
  await waitFor(() => f.proxy.statusReads.length > reads, { what: 'the CLI reading the status once the pool shows v1', timeoutMs: QUIET_RECHECK_MS - 500 });
  await f.route([{ vs: 'pool-acme-1', release: 'v1' }]);
  const r = await deploying;
  // the route changed nothing the stream shows: waiting for a quiet spell would end it no
  // sooner than QUIET_RECHECK_MS after the last event
  const sinceEvent = Date.now() - f.proxy.lastEventAt;
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^rollout replicas ready 1\/1 \(release v1\) — ready$/m);
  assert.ok(sinceEvent < QUIET_RECHECK_MS, `the CLI returned ${sinceEvent} ms after the stream's last event (a quiet spell is ${QUIET_RECHECK_MS} ms)`);
});

test('corral deploy of a pooled site whose route does not come: re-read with a growing wait, then the same timeout error', async (t) => {
  const f = await farm(t, 'pass', true);
  await pooled(f, 'v0');
  await f.route([{ vs: 'pool-acme-1', release: 'v0' }]);
  const deploying = f.deploy('--timeout', '2');
  await waitFor(() => f.proxy.events > 0 && f.proxy.statusReads.length > 0, { what: 'the CLI following the rollout' });
  await pooled(f, 'v1'); // ready, but the route stays on v0
  const r = await deploying;
  assert.equal(r.code, 1);
  assert.match(r.err, /rollout of blog v1 not ready after 2 s \(1\/1 ready\)/);
  // 50, 100, 200, 400, 800 ms … of quiet: a handful of reads, not one every 50 ms (about 40)
  assert.ok(f.proxy.statusReads.length <= 1 + f.proxy.events + 8, `${f.proxy.statusReads.length} reads for ${f.proxy.events} events in 2 s`);
});

/** blog at v1 (uploaded, activated), its server blog-0 started with no environment, ready and routed. */
async function servingV1(f: Farm): Promise<void> {
  assert.equal((await f.deploy('--no-wait')).code, 0);
  await f.vs('blog-0', 'v1', 'ready');
  await f.route([{ vs: 'blog-0', release: 'v1' }]);
}

test('corral site set --env follows the new servers (the release kept) until they alone serve', async (t) => {
  const f = await farm(t, 'pass');
  await servingV1(f);
  const setting = f.corral('site', 'set', 'blog', '--env', 'A=1');
  await waitFor(() => f.proxy.events > 0 && f.proxy.statusReads.length > 0, { what: 'the CLI following the rollout' });
  // blog-0 is ready, of the release, and routed: what a wait for the release alone took for done
  await f.vs('blog-1', 'v1', 'starting', { A: '1' });
  await waitFor(() => f.proxy.statusAnswers.some((a) => a.virtualServers.some((v) => v.vs === 'blog-1' && v.current)), { what: 'the CLI reading blog-1' });
  await f.vs('blog-1', 'v1', 'ready', { A: '1' });
  await f.route([{ vs: 'blog-1', release: 'v1' }]);
  const r = await setting;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^site blog updated$/m);
  assert.match(r.out, /^rolled out blog's new env in \d+\.\d s$/m);
  assert.match(r.err, /^rollout replicas ready 0\/1 \(new env\)$[\s\S]*^rollout replicas ready 0\/1 \(new env\) — starting$[\s\S]*^rollout replicas ready 1\/1 \(new env\) — ready$/m);
});

test('corral site set whose new servers never get ready: exit 1 naming what they do, the old ones serving on', async (t) => {
  const f = await farm(t, 'pass');
  await servingV1(f);
  const setting = f.corral('site', 'set', 'blog', '--env', 'A=1', '--timeout', '2s');
  await waitFor(() => f.proxy.statusReads.length > 0, { what: 'the CLI following the rollout' });
  await f.vs('blog-1', 'v1', 'backoff', { A: '1' }, { restarts: 3, lastExit: { code: 1, signal: null, at: new Date().toISOString() } });
  const r = await setting;
  assert.equal(r.code, 1);
  assert.match(r.out, /^site blog updated$/m, 'the setting is stored');
  assert.match(r.err, /^error: rollout of blog's new env not ready after 2 s \(0\/1 ready\): new servers 1 backoff \(restarted 3 times, last exit code 1\); the servers started before serve on; see `corral logs blog`$/m);
});

test('corral site set --no-wait returns at once; a change that starts no server returns at once; another change meanwhile ends the wait', async (t) => {
  const f = await farm(t, 'pass');
  await servingV1(f);
  const noWait = await f.corral('site', 'set', 'blog', '--env', 'A=1', '--no-wait');
  assert.equal(noWait.code, 0, noWait.err);
  assert.match(noWait.out, /^rolling out blog's new env \(not waited for: corral status blog shows when it serves\)$/m);
  const json = await f.corral('site', 'set', 'blog', '--env', 'B=1', '--no-wait', '--json');
  assert.deepEqual(JSON.parse(json.out).site.env, { A: '1', B: '1' }, 'JSON only');
  const domain = await f.corral('site', 'set', 'blog', '--add-domain', 'www.blog.example.com', '--max-body-bytes', '1000');
  assert.equal(domain.code, 0, domain.err);
  assert.doesNotMatch(domain.out + domain.err, /roll/);
  const same = await f.corral('site', 'set', 'blog', '--env', 'A=1');
  assert.equal(same.code, 0, same.err);
  assert.doesNotMatch(same.out + same.err, /roll/, 'the same value: nothing new to start');
  assert.equal(f.proxy.statusReads.length, 0, 'none of them read the status');
  const setting = f.corral('site', 'set', 'blog', '--health', '/ping');
  await waitFor(() => f.proxy.statusReads.length > 0, { what: 'the CLI following the rollout' });
  assert.equal((await f.h.admin.patch('/v1/sites/blog', { env: { A: '2' } })).status, 200);
  const replaced = await setting;
  assert.equal(replaced.code, 1);
  assert.match(replaced.err, /^error: the settings of blog were changed again while its new health path rolled out; corral site show blog has them$/m);
});

test('corral rollback follows the rollout of the release it goes back to; --no-wait does not', async (t) => {
  const f = await farm(t, 'pass');
  await servingV1(f);
  await writeFile(join(f.dir, 'index.html'), 'two');
  assert.equal((await f.deploy('--no-wait')).code, 0);
  await f.vs('blog-2', 'v2', 'ready');
  await f.route([{ vs: 'blog-2', release: 'v2' }]);
  const back = f.corral('rollback', 'blog');
  // blog-0 (v1) is ready, but the route serves v2: not rolled back yet
  await waitFor(() => f.proxy.statusAnswers.length > 0, { what: 'the CLI reading the status' });
  assert.equal(f.proxy.statusAnswers[0]?.rollout?.done, false);
  await f.route([{ vs: 'blog-0', release: 'v1' }]);
  const r = await back;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^site blog rolling back to release v1 \(from v2\)$/m);
  assert.match(r.out, /^rolled back blog to v1 in \d+\.\d s$/m);
  assert.match(r.err, /^rollout replicas ready 1\/1 \(release v1\) — ready$/m);
  const reads = f.proxy.statusReads.length;
  const noWait = await f.corral('rollback', 'blog', '--no-wait');
  assert.equal(noWait.code, 0, noWait.err);
  assert.match(noWait.out, /^site blog rolling back to release v2 \(from v1\) \(not waited for: corral status blog shows when it serves\)$/m);
  assert.equal(f.proxy.statusReads.length, reads);
});

test('notReadyText names what the new servers do and what serves meanwhile', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  const vs = (name: string, over: Partial<SiteStatus['virtualServers'][number]>) => ({ vs: name, engine: 'e1', site: 'shop', release: 'v2', assigned: true, ...over });
  const crashing = [vs('shop-1', { state: 'backoff', restarts: 2, lastExit: { code: 1, signal: null, at: at(1) } }), vs('shop-2', { state: 'crashed', restarts: 1, lastExit: { code: null, signal: 'SIGKILL', at: at(2), oom: true } }), vs('shop-3', { state: 'ready' })];
  assert.equal(notReadyText('shop', { release: 'v2' }, 120_000, { replicas: 3, serving: ['v1'] }, crashing, 1),
    'rollout of shop v2 not ready after 120 s (1/3 ready): new servers 1 backoff, 1 crashed (restarted 3 times, last exit OOM SIGKILL); v1 serves on; see `corral logs shop`');
  const late = [vs('shop-1', { state: 'starting', lastExit: { code: null, signal: 'SIGTERM', at: at(1), startupTimeoutMs: 30_000 } }), vs('shop-2', {})];
  const settings = { release: 'v2', settings: { site: {} as never, changes: ['command', 'env'] } };
  assert.equal(notReadyText('shop', settings, 90_000, { replicas: 2, serving: ['v2'] }, late, 0),
    "rollout of shop's new command, env not ready after 90 s (0/2 ready): new servers 1 starting, 1 placed (last stopped, not healthy within its 30 s start timeout); the servers started before serve on; see `corral logs shop`");
  assert.equal(notReadyText('shop', { release: 'v2' }, 5_000, { replicas: 1, serving: [] }, [], 0), 'rollout of shop v2 not ready after 5 s (0/1 ready); see `corral logs shop`');
  assert.equal(notReadyText('shop', { release: 'v2' }, 5_000, { replicas: 1, serving: ['v1'] }, [vs('shop-1', { state: 'ready' })], 1),
    'rollout of shop v2 not ready after 5 s (1/1 ready): the router does not serve only them yet; v1 serves on; see `corral logs shop`');
});

test('notReadyText of a rollout stopped early says so, and why', () => {
  const at = new Date(Date.UTC(2030, 0, 1)).toISOString();
  const looping = ['shop-1', 'shop-2'].map((name) => ({ vs: name, engine: 'e1', site: 'shop', release: 'v2', assigned: true, state: 'backoff' as const, restarts: 4, lastExit: { code: 1, signal: null, at } }));
  assert.equal(notReadyText('shop', { release: 'v2' }, 120_000, { replicas: 2, serving: ['v1'] }, looping, 0, 11_400),
    'rollout of shop v2 stopped early after 11 s, its new servers crash-looping (0/2 ready): new servers 2 backoff (restarted 8 times, last exit code 1), each failed its start 3 times or more and none was ever ready; v1 serves on; see `corral logs shop` (--no-fail-fast waits until --timeout)');
});

test('notReadyText names why servers are not placed, before what the placed ones do', () => {
  const unplaced = { count: 2, reason: 'every engine is at its most virtual servers (3/3)', since: '2030-01-01T00:00:00.000Z' };
  const starting = [{ vs: 'shop-1', engine: 'e1', site: 'shop', release: 'v2', assigned: true, state: 'starting' as const }];
  assert.equal(notReadyText('shop', { release: 'v2' }, 5_000, { replicas: 3, serving: ['v1'], unplaced }, starting, 0),
    'rollout of shop v2 not ready after 5 s (0/3 ready): 2 not placed: every engine is at its most virtual servers (3/3); new servers 1 starting; v1 serves on (a rollout starts its new servers beside the old ones until they are ready: it needs room for both); see `corral logs shop`');
  assert.equal(notReadyText('shop', { release: 'v2' }, 5_000, { replicas: 2, serving: [], unplaced: { ...unplaced, reason: 'no engine is up' } }, [], 0),
    'rollout of shop v2 not ready after 5 s (0/2 ready): 2 not placed: no engine is up; see `corral logs shop`');
});
