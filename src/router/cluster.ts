// Multi-core: the router as one primary and N worker processes (node:cluster) sharing
// the listener. Workers accept straight from the shared socket (SCHED_NONE: the kernel
// spreads connections, the primary never touches a request). The primary owns the
// route table: setRoutes() pushes it to every worker over IPC, no restart; a worker that
// dies is forked again and given the current table before it listens. With the router's
// `metrics` option on, workers report their per-site samples and metric values every
// second (cluster-stats.ts): siteStats and metricsRegistry() are the whole cluster's.

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Logger } from '../lib/log.ts';
import type { Route } from '../model/index.ts';
import type { PrimaryMessage, WorkerMessage, WorkerRouterOptions } from './cluster-messages.ts';
import { createClusterStats } from './cluster-stats.ts';
import type { Registry } from 'prom-client';
import type { SiteStats } from './site-stats.ts';

export interface RouterClusterOptions {
  /** Worker processes; default one per core. */
  workers?: number;
  listen: { port: number; host?: string };
  /** Router options for every worker (loggers are made by each worker; accessLog: on or off). */
  router?: WorkerRouterOptions;
  /** The first table, until setRoutes is called. */
  routes?: readonly Route[];
  log?: Logger;
}

export interface RouterCluster {
  /** The port every worker listens on (the real one when 0 was asked). */
  readonly port: number;
  readonly workers: number;
  setRoutes(routes: readonly Route[]): void;
  /** Per-site series over every worker (for the console's charts); up to a second behind. Empty unless router.metrics. */
  readonly siteStats: SiteStats;
  /** Every worker's router and per-site metrics summed (a fresh registry each call; up to a second behind). Empty unless router.metrics. */
  metricsRegistry(): Registry;
  /** Ask every worker to drain and exit; kill what is left after drainMs. Safe twice. */
  close(drainMs?: number): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./cluster-worker.ts', import.meta.url));

export async function startRouterCluster(opts: RouterClusterOptions): Promise<RouterCluster> {
  if (!cluster.isPrimary) throw new Error('startRouterCluster must run in the primary process');
  const count = opts.workers ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`router workers must be an integer ≥ 1, got ${String(count)}`);
  const log = opts.log ?? silentLogger;
  let routes: readonly Route[] = opts.routes ?? [];
  let closing = false;
  let started = false; // before every first worker listens, a death fails the start instead
  let port = opts.listen.port;
  const live = new Set<Worker>();
  const ready = new WeakSet<Worker>(); // said 'ready': messages reach it from now on
  const stats = createClusterStats();

  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: WORKER, execArgv: workerExecArgv(), args: [], silent: false });

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ CORRAL_ROUTER_WORKER: '1' });
      live.add(w);
      const send = (m: PrimaryMessage) => w.isConnected() && w.send(m);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          ready.add(w);
          // the same (host, port) key, 0 included, shares one listening handle
          send({ type: 'start', options: opts.router ?? {}, listen: opts.listen, routes });
        } else if (m.type === 'listening') {
          port = m.port;
          resolve();
        } else if (m.type === 'stats') stats.report(w.id, m.sites, m.metrics);
        else if (m.type === 'error') reject(new Error(`router worker failed to start: ${m.message}`));
      });
      w.once('exit', (code, signal) => {
        live.delete(w);
        stats.retire(w.id);
        reject(new Error(`router worker exited (${signal ?? code}) before listening`));
        if (closing || !started) return;
        log.warn({ event: 'router.worker-exit', pid: w.process.pid, code, signal }, 'router worker died; starting another');
        fork().catch((err: unknown) => log.error({ event: 'router.worker-restart-failed', err }, 'router worker restart failed'));
      });
    });

  try {
    await Promise.all(Array.from({ length: count }, fork));
  } catch (err) {
    closing = true;
    for (const w of live) w.process.kill('SIGKILL');
    throw err;
  }
  started = true;
  log.info({ event: 'router.workers-started', workers: count, port }, 'router workers started');

  return {
    get port() {
      return port;
    },
    workers: count,
    siteStats: stats.siteStats,
    metricsRegistry: () => stats.metricsRegistry(),
    setRoutes(next) {
      routes = next;
      stats.siteStats.setRoutes(next);
      for (const w of live) if (w.isConnected()) w.send({ type: 'routes', routes } satisfies PrimaryMessage);
    },
    async close(drainMs = 10_000) {
      closing = true;
      await Promise.all(
        [...live].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const timer = setTimeout(() => w.process.kill('SIGKILL'), drainMs + 1_000);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              if (w.isConnected() && ready.has(w)) w.send({ type: 'close', drainMs } satisfies PrimaryMessage);
              else w.process.kill('SIGKILL'); // not started yet: nothing to drain
            }),
        ),
      );
    },
  };
}

/** The primary's node flags minus any inline script (-e, -p), with tsx loaded for the .ts worker. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++;
    else if (!a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  // an absolute URL: `--import tsx` would resolve from the cwd, which may be anywhere
  return out.some((a) => a.includes('tsx')) ? out : ['--import', import.meta.resolve('tsx'), ...out];
}
