// The one-machine farm behind `corral up`: a SQLite store, the controller (API and
// reconciler), one engine agent with the best runtime available, and the router,
// all in this process; virtual servers are child process groups.
//
// Start order: store → admin token → controller API → reconciler → engine → router.
// Stop order is the reverse, so nothing serves traffic from a half-stopped farm.

import { chmod, mkdir, writeFile, rename, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { openSqliteStore } from '../store/index.ts';
import { buildController, ensureAdminToken, openBlobStore, startReconciler } from '../controller/index.ts';
import { buildEngineAgent, chooseRuntime, createEngineLogs, ExecUnsupportedError, VsNotRunningError, type Runtime, type RuntimeChoice, processUsage, trackEngineMetrics } from '../engine/index.ts';
import { buildRouter, startRouterCluster, trackSiteStats, watchCertificates, watchRoutes, type RouterCluster, type SiteStats } from '../router/index.ts';
import { ensureDevCertificate } from './dev-cert.ts';
import { farmMetricsRegistry } from './farm-metrics.ts';
import { logger, type Logger } from '../lib/log.ts';
import { urlHost } from '../lib/url-host.ts';

export interface FarmOptions {
  dir: string;
  httpPort: number;
  apiPort: number;
  /** Address both listeners bind to. */
  host: string;
  engineId?: string;
  log?: Logger;
  drainDelayMs?: number;
  /** Serve /metrics without a token (default: admin token). */
  openMetrics?: boolean;
  /** The built web console; default console/dist of this package. */
  consoleDir?: string;
  /** The engine's runtime: `auto` (default) takes namespace where the machine allows, else process. */
  runtime?: RuntimeChoice;
  /** Router worker processes; 1 (default) runs the router in this process; more report their stats to this one. */
  routerWorkers?: number;
  /** Write one JSON access line per proxied request (part "access"). */
  accessLog?: boolean;
  /** The router's HTTPS port (0 = any); absent: no HTTPS. Uses <dir>/tls/dev.crt (made on first start) for names without a site certificate. */
  httpsPort?: number;
}

const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

export interface Farm {
  dir: string;
  routerUrl: string;
  /** The HTTPS listener (HTTP/2 and HTTP/1.1), when httpsPort was given and the router runs in-process. */
  routerHttpsUrl?: string;
  apiUrl: string;
  consoleUrl: string;
  tokenFile: string;
  adminToken: string;
  tokenCreated: boolean;
  engineId: string;
  runtime: string;
  close(): Promise<void>;
}

export async function startFarm(opts: FarmOptions): Promise<Farm> {
  const dir = resolve(opts.dir);
  const log = opts.log ?? logger('farm');
  const partLog = (part: string): Logger => (opts.log ? opts.log.child({ part }) : logger(part));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    closers.length = 0;
  };
  try {
    const store = await openSqliteStore(join(dir, 'store.db'));
    closers.push(() => store.close());
    // the store holds site TLS private keys (certificates/): owner-only, like every key file
    for (const f of ['store.db', 'store.db-wal', 'store.db-shm']) await chmod(join(dir, f), 0o600).catch(() => undefined);
    const admin = await ensureAdminToken(store, dir);
    const blobs = await openBlobStore(join(dir, 'blobs'));

    const engineId = opts.engineId ?? (hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40) || 'engine');
    const engineDir = join(dir, 'engine');
    const engineLogs = createEngineLogs(engineDir);
    let siteStats: SiteStats | undefined;
    let routerCluster: RouterCluster | undefined;
    const engine: { runtime?: Runtime } = {};
    const api = await buildController({
      store, blobs, engineLogs, log: partLog('controller'),
      metrics: { registry: farmMetricsRegistry(() => routerCluster?.metricsRegistry()), open: opts.openMetrics === true },
      consoleDir: opts.consoleDir ?? DEFAULT_CONSOLE_DIR,
      siteStats: (site, seconds, step) => siteStats?.series(site, seconds, step) ?? [],
      vsUsage: (v) => (v.engine === engineId && v.pid !== undefined ? processUsage(v.pid) : undefined),
      // One process: the controller reaches this engine's runtime directly.
      vsExec: (v, argv, timeoutMs) => {
        const engineRuntime = engine.runtime;
        if (v.engine !== engineId || !engineRuntime) throw new VsNotRunningError(v.vs);
        if (!engineRuntime.exec) throw new ExecUnsupportedError(engineRuntime.name);
        return engineRuntime.exec(v.vs, argv, timeoutMs !== undefined ? { timeoutMs } : {});
      },
    });
    closers.push(() => api.close());
    await api.listen({ port: opts.apiPort, host: opts.host });
    const apiUrl = `http://${urlHost(opts.host)}:${(api.server.address() as AddressInfo).port}`;

    const reconciler = await startReconciler({ store, log: partLog('reconciler'), ...(opts.drainDelayMs !== undefined ? { drainDelayMs: opts.drainDelayMs } : {}) });
    closers.push(() => reconciler.close());

    const chosen = await chooseRuntime({ want: opts.runtime ?? 'auto', engineDir, log: partLog('runtime') });
    if (chosen.warning) log.warn({ runtime: chosen.runtime.name }, chosen.warning);
    const runtime = chosen.runtime;
    engine.runtime = runtime;
    closers.push(() => runtime.destroy());
    const agent = buildEngineAgent({
      store, engineId, dir: engineDir, runtime, log: partLog('engine'),
      fetchBlob: async (sha256) => blobs.path(sha256),
    });
    await agent.start();
    closers.push(() => agent.close());
    const untrack = trackEngineMetrics(agent, store);
    closers.push(async () => untrack());

    const routerWorkers = opts.routerWorkers ?? 1;
    let routerPort: number;
    let routerHttpsUrl: string | undefined;
    if (opts.httpsPort !== undefined && routerWorkers > 1) log.warn({ event: 'tls.off' }, 'HTTPS is not served by router workers yet; use --router-workers 1 for HTTPS');
    if (routerWorkers > 1) {
      // workers share the port; the table goes to each over IPC, their stats and metrics come back every second
      const rc = await startRouterCluster({ workers: routerWorkers, listen: { port: opts.httpPort, host: opts.host }, router: { accessLog: opts.accessLog === true, metrics: true }, log: partLog('router') });
      closers.push(() => rc.close());
      routerCluster = rc;
      siteStats = rc.siteStats;
      const stopWatch = await watchRoutes(store, rc, partLog('router'));
      closers.push(async () => stopWatch());
      routerPort = rc.port;
    } else {
      const devCert = opts.httpsPort !== undefined ? await ensureDevCertificate(dir) : undefined;
      const router = buildRouter({ log: partLog('router'), accessLog: opts.accessLog ? partLog('access') : null, metrics: true, tls: devCert ? { cert: devCert.cert, key: devCert.key } : null });
      const stats = (siteStats = trackSiteStats(router.server));
      closers.push(async () => stats.close());
      const stopWatch = await watchRoutes(store, { setRoutes: (routes) => { router.setRoutes(routes); stats.setRoutes(routes); } }, partLog('router'));
      closers.push(async () => { await stopWatch(); await router.close(); });
      await new Promise<void>((ok, fail) => {
        router.server.once('error', fail);
        router.server.listen(opts.httpPort, opts.host, () => ok());
      });
      routerPort = (router.server.address() as AddressInfo).port;
      const tlsServer = router.tlsServer;
      if (tlsServer && opts.httpsPort !== undefined) {
        const stopCerts = await watchCertificates(store, router, partLog('router'));
        closers.push(async () => stopCerts());
        await new Promise<void>((ok, fail) => {
          tlsServer.once('error', fail);
          tlsServer.listen(opts.httpsPort, opts.host, () => ok());
        });
        routerHttpsUrl = `https://${urlHost(opts.host)}:${(tlsServer.address() as AddressInfo).port}`;
      }
    }
    const routerUrl = `http://${urlHost(opts.host)}:${routerPort}`;

    await writeAtomic(join(dir, 'api-url'), `${apiUrl}\n`);
    await writeAtomic(join(dir, 'router-url'), `${routerUrl}\n`);
    closers.push(async () => { await rm(join(dir, 'api-url'), { force: true }); await rm(join(dir, 'router-url'), { force: true }); });

    return {
      dir, routerUrl, ...(routerHttpsUrl ? { routerHttpsUrl } : {}), apiUrl, consoleUrl: `${apiUrl}/console/`, engineId, runtime: runtime.name,
      tokenFile: join(dir, 'admin-token'), adminToken: admin.token, tokenCreated: admin.created,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}
