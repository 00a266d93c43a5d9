// End to end, as a user, on a real `corral up` with two router workers: an app site that
// autoscales follows a load ramp out to its maximum within seconds and back in after the
// scale-in window, never past its bounds; a site with --min-replicas 0 goes idle (its
// VS stopped, the route kept), and concurrent first requests over both router workers
// are held and served by the one VS the wake starts; an open WebSocket keeps a site
// awake. Every scaling decision is a farm event with its reason (`corral events`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pace } from 'node:timers/promises';
import { ok, removeDir, REPO, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { get, getFresh as fresh } from './helpers/http.ts';
import { holdsFor, waitFor } from '../src/lib/wait.ts';

const IDLE_S = 2;
const SCALE_IN_WINDOW_S = 3;

describe('autoscaling and scale to zero (corral up, two router workers)', () => {
  let farm: FarmProcess;

  before(async () => {
    farm = await startFarmProcess({ extraArgs: ['--router-workers', '2', '--scale-in-window', `${SCALE_IN_WINDOW_S}s`] });
    await ok(farm.cli(['customer', 'create', 'acme']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${farm.apiUrl}${path}`, { headers: { authorization: `Bearer ${farm.token}` } });
    return (await res.json()) as T;
  };
  const serversOf = async (site: string) =>
    (await api<{ virtualServers: { vs: string; site: string; state?: string; assigned?: boolean }[] }>('/v1/vs')).virtualServers.filter((v) => v.site === site);
  const appSite = async (name: string, host: string, flags: string[]) => {
    await ok(farm.cli(['site', 'create', name, '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health',
      '--domain', host, '--drain-timeout', '0', ...flags]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', name]));
    await waitFor(async () => (await get(farm.routerUrl, host)).status === 200, { timeoutMs: 30_000, what: `${name} serving` });
  };
  it('a load ramp scales out to max within seconds, back in after the window, never past min/max', async (t) => {
    const host = 'busy.acme.test';
    await appSite('busy', host, ['--min-replicas', '1', '--max-replicas', '3', '--target-concurrency', '2']);
    let most = 0;
    let stopWatching = false;
    const watching = (async () => {
      while (!stopWatching) {
        most = Math.max(most, (await serversOf('busy')).filter((v) => v.assigned !== false).length);
        await pace(200);
      }
    })();

    // eight clients, each with a slow request in flight all the time: ~8 in flight over the routers
    let loading = true;
    let served = 0;
    const failed: string[] = [];
    const clients = Array.from({ length: 8 }, async () => {
      while (loading) {
        const r = await get(farm.routerUrl, host, '/slow?ms=300').catch((err: Error) => ({ status: 0, body: err.message }));
        if (r.status === 200) served++;
        else failed.push(`${r.status} ${r.body.slice(0, 80)}`);
      }
    });
    const started = Date.now();
    await waitFor(async () => (await serversOf('busy')).filter((v) => v.state === 'ready').length === 3, { timeoutMs: 30_000, what: '3 ready replicas' });
    const outMs = Date.now() - started;
    t.diagnostic(`scaled out 1 → 3 (decided, started, ready) ${outMs} ms after the load began`);
    assert.ok(outMs < 15_000, `scale-out took ${outMs} ms (bound 15 s: 6 s panic window, 1 s ticks, VS start)`);
    loading = false;
    await Promise.all(clients);
    const stopped = Date.now();
    await waitFor(async () => (await serversOf('busy')).length === 1, { timeoutMs: 30_000, what: 'back to 1 replica' });
    const inMs = Date.now() - stopped;
    t.diagnostic(`scaled in 3 → 1 ${inMs} ms after the load stopped (scale-in window ${SCALE_IN_WINDOW_S} s); ${served} requests served`);
    assert.ok(inMs >= (SCALE_IN_WINDOW_S - 1) * 1000, `scaled in after only ${inMs} ms`);
    stopWatching = true;
    await watching;
    assert.deepEqual(failed, [], 'no request failed while scaling');
    assert.ok(most <= 3, `at most max replicas at any time (saw ${most})`);
    assert.ok((await serversOf('busy')).length >= 1, 'never below min');

    const { stdout } = await ok(farm.cli(['events', '--site', 'busy', '--type', 'farm']));
    assert.match(stdout, /busy: 1 → \d replica\(s\): concurrency [\d.]+ over 6s, target 2 per VS/);
    assert.match(stdout, /busy: [23] → 1 replica\(s\): concurrency at most [\d.]+ for 3s, target 2 per VS/); // in one step or two
  });

  it('idle → VS stopped, route kept; concurrent first requests over both router workers are held and served by one woken VS', async (t) => {
    const host = 'nap.acme.test';
    await appSite('nap', host, ['--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', `${IDLE_S}s`]);
    // the router keeps a site's access lines by its id (site-access-files.ts)
    const { site: napSite } = await api<{ site: { id: string } }>('/v1/sites/nap');
    const logDir = join(farm.dir, 'logs', 'router', napSite.id);
    let bothWorkers = false;
    for (let round = 1; round <= 3 && !bothWorkers; round++) {
      await waitFor(async () => (await serversOf('nap')).length === 0, { timeoutMs: 30_000, what: 'nap idle, its VS stopped' });
      const before = await linesPerWorker(logDir);
      // twelve new connections at once: the two workers accept them between them
      const t0 = performance.now();
      const replies = await Promise.all(Array.from({ length: 12 }, () => fresh(farm.routerUrl, host)));
      const wakeMs = performance.now() - t0;
      assert.deepEqual(replies.map((r) => r.status), Array(12).fill(200), replies.map((r) => r.body).join('\n'));
      const vss = new Set(replies.map((r) => (JSON.parse(r.body) as { vs: string }).vs));
      assert.equal(vss.size, 1, `one VS served them all (${[...vss].join(', ')})`);
      assert.equal((await serversOf('nap')).length, 1, 'one VS started');
      const workers = await waitFor(async () => {
        const now = await linesPerWorker(logDir);
        const grew = [...now].filter(([w, n]) => n > (before.get(w) ?? 0)).map(([w]) => w);
        const total = [...now.values()].reduce((a, b) => a + b, 0) - [...before.values()].reduce((a, b) => a + b, 0);
        return total >= 12 ? grew : undefined;
      }, { timeoutMs: 10_000, what: 'the access lines of the held requests' });
      bothWorkers = workers.length === 2;
      t.diagnostic(`round ${round}: wake from zero → 12 × 200 in ${wakeMs.toFixed(0)} ms (held over ${workers.length} router worker(s))`);
    }
    assert.ok(bothWorkers, 'a wake served requests held by both router workers');
    const { stdout } = await ok(farm.cli(['events', '--site', 'nap', '--type', 'farm']));
    assert.match(stdout, /nap: 1 → 0 replica\(s\): no request for [\d.]+s \(idle timeout 2s\)/);
    assert.match(stdout, /nap: 0 → 1 replica\(s\): woken by a request held at a router/);
  });

  it('a deploy to a site asleep at zero waits for the woken release to be ready: a release that never starts fails the deploy, a good one passes', async (t) => {
    const host = 'doze.acme.test';
    await appSite('doze', host, ['--min-replicas', '0', '--max-replicas', '1', '--idle-timeout', `${IDLE_S}s`]);
    await waitFor(async () => (await serversOf('doze')).length === 0, { timeoutMs: 30_000, what: 'doze idle, its VS stopped' });
    const broken = await mkdtemp(join(tmpdir(), 'corral-broken-'));
    t.after(() => rm(broken, { recursive: true, force: true }));
    await writeFile(join(broken, 'server.js'), 'process.exit(3);\n');
    const bad = await farm.cli(['deploy', broken, '--site', 'doze', '--timeout', '8']);
    assert.equal(bad.code, 1, `a release that never starts is not "deployed": ${bad.stdout}`);
    assert.match(bad.stderr, /rollout of doze v2 not ready after 8 s/);
    await waitFor(async () => (await serversOf('doze')).length === 0, { timeoutMs: 30_000, what: 'doze asleep again' });
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'doze'])); // v1's content: v1 again, woken and ready
  });

  it('a static site scales to zero and wakes too; a rollout waits for the autoscaler\'s count, not the stored --replicas', async (t) => {
    const host = 'pages.acme.test';
    // --replicas 3 is kept for when autoscaling is off: the deploy waits for 1 ready, not 3;
    // --no-pooled: VSs of its own, counted by site (test/pooled-scale-to-zero.test.ts: a pooled one)
    await ok(farm.cli(['site', 'create', 'pages', '--customer', 'acme', '--kind', 'static', '--domain', host, '--drain-timeout', '0', '--no-pooled',
      '--replicas', '3', '--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', `${IDLE_S}s`]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'pages']));
    assert.equal((await get(farm.routerUrl, host)).status, 200);
    const status = await ok(farm.cli(['status']));
    assert.match(status.stdout, /pages\s+static\s+v1\s+\d \(auto 0–2\)/);
    await waitFor(async () => (await serversOf('pages')).length === 0, { timeoutMs: 30_000, what: 'pages idle' });
    const t0 = performance.now();
    const woke = await fresh(farm.routerUrl, host);
    t.diagnostic(`static site: wake from zero → ${woke.status} in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(woke.status, 200);
    assert.match(woke.body, /<html/i);
  });

  it('hostile and contradictory flags are refused; corral scale is refused while a site autoscales', async () => {
    for (const [flags, message] of [
      [['--max-replicas', '99'], /maxReplicas/],
      [['--min-replicas', '-2'], /--min-replicas must be a whole number/],
      [['--min-replicas', '3', '--max-replicas', '2'], /minReplicas \(3\) must not be above maxReplicas \(2\)/],
      [['--idle-timeout', 'soon'], /--idle-timeout must be a duration/],
      [['--min-replicas', '1', '--idle-timeout', '5m'], /idleTimeoutMs is only for minReplicas 0/],
      [['--target-concurrency', '0'], /targetConcurrency/],
    ] as const) {
      const r = await farm.cli(['site', 'set', 'busy', ...flags]);
      assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
    }
    const scale = await farm.cli(['scale', 'busy', '5']);
    assert.equal(scale.code, 1);
    assert.match(scale.stderr, /autoscales between 1 and 3 replicas/);
    const site = JSON.parse((await ok(farm.cli(['site', 'show', 'busy', '--json']))).stdout) as { site: { autoscale: unknown } };
    assert.deepEqual(site.site.autoscale, { minReplicas: 1, maxReplicas: 3, targetConcurrency: 2 }, 'nothing changed');
  });

  it('an open WebSocket keeps the site awake; once it closes the site goes idle', async (t) => {
    const host = 'chat.acme.test';
    await appSite('chat', host, ['--min-replicas', '0', '--max-replicas', '1', '--idle-timeout', `${IDLE_S}s`]);
    const socket = await tunnel(farm.routerUrl, host);
    const opened = Date.now();
    const [first] = await serversOf('chat');
    // three idle timeouts with the tunnel open and quiet: the site keeps its VS (the same one, ready)
    await holdsFor(async () => {
      const now = await serversOf('chat');
      assert.deepEqual(now.map((v) => `${v.vs} ${v.state}`), [`${first?.vs} ready`], `VS still up ${Date.now() - opened} ms after the tunnel opened`);
    }, 3 * IDLE_S * 1000 + 2000, 500);
    socket.write('still here\n');
    assert.match(await line(socket), /still here/);
    socket.destroy();
    const closed = Date.now();
    await waitFor(async () => (await serversOf('chat')).length === 0, { timeoutMs: 30_000, what: 'chat idle once the tunnel closed' });
    t.diagnostic(`idle ${Date.now() - closed} ms after the tunnel closed (idle timeout ${IDLE_S} s)`);
    assert.ok(Date.now() - closed >= IDLE_S * 1000 - 500);
  });
});

/** Access lines per router worker file of a site. */
async function linesPerWorker(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f.endsWith('.log')) out.set(f, (await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean).length);
  }
  return out;
}

function tunnel(base: string, host: string): Promise<Socket> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/echo', headers: { host, connection: 'upgrade', upgrade: 'websocket' }, timeout: 30_000 });
    req.on('timeout', () => req.destroy(new Error('no answer to the upgrade within 30 s')));
    req.on('upgrade', (_res, socket) => resolve(socket));
    req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The echo of 'still here'; fails if the tunnel closes first or nothing comes back within 10 s. */
function line(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('close', onClose);
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('still here')) done();
    };
    const onClose = () => done(new Error(`the tunnel closed before its echo (got ${JSON.stringify(buf)})`));
    const timer = setTimeout(() => done(new Error(`no echo within 10 s (got ${JSON.stringify(buf)})`)), 10_000);
    socket.on('data', onData).on('close', onClose);
  });
}
