// Multi-core: the router as one primary and N worker processes (node:cluster) sharing
// the listeners. Workers accept straight from the shared sockets (SCHED_NONE: the kernel
// spreads connections, the primary never touches a request). The primary owns the
// route table and the site certificates: setRoutes() and setCertificates() push them to
// every worker over IPC, no restart, and updateRoutes() only the sites that changed; a worker that dies is forked again and given the
// current table and certificates before it listens. With `httpsListen` (and the default
// certificate in router.tls) every worker also listens for HTTPS on one shared port. With
// the router's `metrics` option on, workers report their per-site samples and metric
// values every second (cluster-stats.ts): siteStats and metricsRegistry() are the whole
// cluster's.
//
// Two steps, so a caller can overlap the workers' start-up (loading their code) with its
// own: bootRouterCluster() resolves once every worker has booted, listen() once every
// worker listens; startRouterCluster() is both.

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { bundledEntryBeside, loaderArgs } from '../../lib/entry-point.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { stillOpen, type Endpoint, type Route } from '../../model/index.ts';
import type { ListenAddress, PrimaryMessage, WorkerMessage, WorkerRouterOptions } from './cluster-messages.ts';
import { createClusterStats } from './cluster-stats.ts';
import type { Registry } from 'prom-client';
import { routerStoreMetricsRegistry } from '../metrics.ts';
import { mergedRegistry } from '../series-registry.ts';
import type { SiteStats } from '../site-stats.ts';
import { sumLoad, type LoadReport } from '../site-load.ts';
import { LOAD_MS } from './cluster-messages.ts';
import type { SiteCertificate } from '../front/tls-certificates.ts';
import type { RouteDiff } from '../route-table.ts';

export interface RouterClusterOptions {
  /** Worker processes; default one per core. */
  workers?: number;
  listen: ListenAddress;
  /** Every worker also serves HTTPS (HTTP/2 and HTTP/1.1 by ALPN) on this port; needs router.tls, the default certificate. */
  httpsListen?: ListenAddress;
  /** Router options for every worker (loggers are made by each worker; accessLog: on or off). */
  router?: WorkerRouterOptions;
  /** The first table, until setRoutes is called. */
  routes?: readonly Route[];
  /** The first site certificates, until setCertificates is called. */
  certificates?: readonly SiteCertificate[];
  log?: Logger;
}

export interface RouterCluster {
  /** The port every worker listens on (the real one when 0 was asked). */
  readonly port: number;
  /** The HTTPS port every worker listens on (the real one when 0 was asked); undefined without httpsListen. */
  readonly httpsPort: number | undefined;
  readonly workers: number;
  setRoutes(routes: readonly Route[]): void;
  /** Per site, to every worker ({type: 'route-diff'}): these sites' routes put, these sites removed. */
  updateRoutes(diff: RouteDiff): void;
  /** Every worker cuts its in-flight requests to these dead endpoints (Router.abandonEndpoints). */
  abandonEndpoints(endpoints: readonly Endpoint[]): void;
  /** Replace every site certificate in every worker at once (SNI: exact name, then wildcard, else router.tls). */
  setCertificates(certs: readonly SiteCertificate[]): void;
  /** Per-site series over every worker (for the console's charts); up to a second behind. Empty unless router.metrics. */
  readonly siteStats: SiteStats;
  /** Every worker's router and per-site metrics summed (one registry, summed on each read; up to a second behind). Empty unless router.metrics. */
  metricsRegistry(): Registry;
  /** Every worker's latest per-site load (each reported every LOAD_MS), summed: Router.takeLoad for the whole cluster. */
  takeLoad(): LoadReport;
  /** Who asks for an idle site to be woken when a worker holds a request for it. */
  onWake(listener: (site: string) => void): void;
  /** Ask every worker to drain and exit; kill what is left after drainMs. Safe twice. */
  close(drainMs?: number): Promise<void>;
}

/** A cluster whose workers have booted but do not listen yet. */
export interface BootedRouterCluster extends RouterCluster {
  /** Every worker builds its router with the current table and certificates and listens; resolves once all do (a failure stops them all). Safe twice. */
  listen(): Promise<void>;
}

const WORKER = bundledEntryBeside(import.meta.url, './cluster-worker');

export async function startRouterCluster(opts: RouterClusterOptions): Promise<RouterCluster> {
  const rc = await bootRouterCluster(opts);
  await rc.listen();
  return rc;
}

export async function bootRouterCluster(opts: RouterClusterOptions): Promise<BootedRouterCluster> {
  if (!cluster.isPrimary) throw new Error('startRouterCluster must run in the primary process');
  const count = opts.workers ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`router workers must be an integer ≥ 1, got ${String(count)}`);
  if (opts.httpsListen && !opts.router?.tls) throw new TypeError('router cluster: httpsListen needs router.tls (the default certificate)');
  if (opts.router?.tls && !opts.httpsListen) throw new TypeError('router cluster: router.tls needs httpsListen (the HTTPS port)');
  const log = opts.log ?? silentLogger;
  let routes = new Map((opts.routes ?? []).map((r) => [r.site, r])); // a worker forked later starts with all of them
  let certificates: readonly SiteCertificate[] = opts.certificates ?? [];
  let closing = false;
  let listenAsked = false; // from now on a worker that says 'ready' is started at once
  let started = false; // before every first worker listens, a death fails the start instead
  let port = opts.listen.port;
  let httpsPort = opts.httpsListen?.port;
  const live = new Set<Worker>();
  // each forked worker until it is gone: node:cluster keeps it in cluster.workers until it has both exited and closed its channel, in either order
  const gone = new Map<Worker, Promise<void>>();
  const ready = new WeakSet<Worker>(); // said 'ready': messages reach it from now on
  const stats = createClusterStats();
  // the workers' values summed, and the primary's own (it reads the store): the same registry every call
  const registry = mergedRegistry(() => [stats.metricsRegistry(), routerStoreMetricsRegistry]);
  const loads = new Map<number, { at: number; sites: LoadReport }>();
  let onWake: (site: string) => void = () => {};

  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: WORKER, execArgv: workerExecArgv(), args: [], silent: false });

  // the same (host, port) key, 0 included, shares one listening handle; a worker's second
  // listener with the same key (HTTPS on port 0 too) is told apart by its order, the same in every worker
  const startMessage = (): PrimaryMessage => ({
    type: 'start', options: opts.router ?? {}, listen: opts.listen, ...(opts.httpsListen ? { httpsListen: opts.httpsListen } : {}), routes: [...routes.values()], certificates,
  });
  const broadcast = (m: PrimaryMessage) => {
    for (const w of live) sendTo(w, m);
  };

  const fork = (): { booted: Promise<void>; listening: Promise<void> } => {
    const booted = deferred();
    const listening = deferred();
    const w = cluster.fork({ CORRAL_ROUTER_WORKER: '1' });
    live.add(w);
    gone.set(
      w,
      new Promise<void>((resolve) => {
        const check = () => {
          if (w.isDead() && !w.isConnected()) resolve();
        };
        w.once('exit', check).once('disconnect', check);
      }).then(() => void gone.delete(w)),
    );
    const send = (m: PrimaryMessage) => sendTo(w, m);
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        ready.add(w);
        booted.resolve();
        if (listenAsked) send(startMessage());
      } else if (m.type === 'listening') {
        port = m.port;
        if (m.httpsPort !== undefined) httpsPort = m.httpsPort;
        listening.resolve();
      } else if (m.type === 'stats') stats.report(w.id, m.sites, m.series);
      else if (m.type === 'load') loads.set(w.id, { at: Date.now(), sites: m.sites });
      else if (m.type === 'wake') onWake(m.site);
      else if (m.type === 'error') {
        const err = new Error(`router worker failed to start: ${m.message}`);
        booted.reject(err);
        listening.reject(err);
      }
    });
    w.once('exit', (code, signal) => {
      live.delete(w);
      loads.delete(w.id);
      stats.retire(w.id);
      const err = new Error(`router worker exited (${signal ?? code}) before listening`);
      booted.reject(err);
      listening.reject(err);
      if (closing || !started) return;
      log.warn({ event: 'router.worker-exit', pid: w.process.pid, code, signal }, 'router worker died; starting another');
      const again = fork();
      again.booted.catch(() => {});
      again.listening.catch((err: unknown) => log.error({ event: 'router.worker-restart-failed', err }, 'router worker restart failed'));
    });
    return { booted: booted.promise, listening: listening.promise };
  };

  const killAll = () => {
    closing = true;
    for (const w of live) w.process.kill('SIGKILL');
  };
  const first = Array.from({ length: count }, fork);
  for (const f of first) f.listening.catch(() => {}); // awaited by listen()
  try {
    await Promise.all(first.map((f) => f.booted));
  } catch (err) {
    killAll();
    throw err;
  }

  let listened: Promise<void> | undefined;
  return {
    get port() {
      return port;
    },
    get httpsPort() {
      return httpsPort;
    },
    workers: count,
    siteStats: stats.siteStats,
    metricsRegistry: () => registry,
    listen: () =>
      (listened ??= (async () => {
        listenAsked = true;
        for (const w of live) if (ready.has(w)) sendTo(w, startMessage());
        try {
          await Promise.all(first.map((f) => f.listening));
        } catch (err) {
          killAll();
          throw err;
        }
        started = true;
        log.info({ event: 'router.workers-started', workers: count, port, ...(httpsPort !== undefined ? { httpsPort } : {}) }, 'router workers started');
      })()),
    setRoutes(next) {
      routes = new Map(next.map((r) => [r.site, r]));
      stats.siteStats.setRoutes(next);
      broadcast({ type: 'routes', routes: next }); // a worker not started yet takes them from its 'start'
    },
    updateRoutes(diff) {
      for (const site of diff.remove) routes.delete(site);
      for (const r of diff.put) routes.set(r.site, r);
      stats.siteStats.updateRoutes(diff);
      broadcast({ type: 'route-diff', put: diff.put, remove: diff.remove });
    },
    abandonEndpoints(endpoints) {
      broadcast({ type: 'abandon', endpoints }); // after the routes without them: IPC keeps the order
    },
    setCertificates(next) {
      certificates = next;
      broadcast({ type: 'certificates', certificates });
    },
    takeLoad() {
      // a worker's late report (a loaded machine) still counts what it had open; its exit removes it
      const fresh = Date.now() - 2.5 * LOAD_MS;
      return sumLoad([...loads.values()].map((l) => (l.at >= fresh ? l.sites : stillOpen(l.sites))));
    },
    onWake(listener) {
      onWake = listener;
    },
    async close(drainMs = 10_000) {
      closing = true;
      stats.siteStats.close();
      for (const w of live) {
        if (w.isDead()) continue;
        const timer = setTimeout(() => w.process.kill('SIGKILL'), drainMs + 1_000);
        void gone.get(w)?.then(() => clearTimeout(timer));
        // not started yet, or its channel already gone (it is exiting): nothing to drain
        if (!ready.has(w) || !sendTo(w, { type: 'close', drainMs }, () => w.process.kill('SIGKILL'))) w.process.kill('SIGKILL');
      }
      await Promise.all(gone.values()); // those a failed start killed too: out of cluster.workers when this resolves
    },
  };
}

/**
 * Sends m to a worker whose channel is open; false if it is not. A worker can exit between
 * the check and the write (its port was taken, it crashed): the write's EPIPE then goes to
 * `failed` (the exit handlers deal with the worker), never to an unhandled 'error' event
 * that would take the primary down.
 */
function sendTo(w: Worker, m: PrimaryMessage, failed: () => void = () => {}): boolean {
  if (!w.isConnected()) return false;
  w.send(m, undefined, (err) => {
    if (err) failed();
  });
  return true;
}

/**
 * A worker's young generation: V8's semi-spaces, each at most this many MiB (default 16 on
 * 64-bit). Under load a worker's grew to ≈ 17 MiB of new space and kept it, ≈ 11 MB of RSS
 * for the garbage of requests that live a few milliseconds (bench/router-memory.sh: 71 → 60
 * MB per worker at peak); capped, scavenges are more frequent and each as small, and the
 * CPU per request stayed the same within the noise. A flag of the operator's own (node's
 * arguments or NODE_OPTIONS) wins.
 */
export const WORKER_SEMI_SPACE_MB = 1;

/** The primary's node flags minus any inline script (-e, -p), with tsx loaded when the worker is the .ts source, and the worker's young generation capped. */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++;
    else if (!a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  const semiSpace = /--max[-_]semi[-_]space[-_]size/;
  if (!out.some((a) => semiSpace.test(a)) && !semiSpace.test(nodeOptions)) out.unshift(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  if (!out.some((a) => /^--expose[-_]gc$/.test(a))) out.unshift('--expose-gc'); // heap-settle.ts: one collection after a burst of table changes or requests
  return out.some((a) => a.includes('tsx')) ? out : [...loaderArgs(WORKER), ...out];
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
