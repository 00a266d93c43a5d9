// One router worker process (see cluster.ts): builds a router from the primary's
// 'start' message and listens (HTTP, then HTTPS when asked), takes every later table
// from 'routes' or per site from 'route-diff', and every later certificate set from 'certificates', drains on 'close'. Reports its
// per-site samples and what its request series moved to the primary every REPORT_MS (cluster-stats.ts)
// when the router's `metrics` option is on; with it off a worker measures nothing.
import type { AddressInfo, Server } from 'node:net';
import cluster from 'node:cluster';
import { join } from 'node:path';
import { openCappedFile } from '../../lib/capped-file.ts';
import { logger, setLogSinks } from '../../lib/log.ts';
import { LOAD_MS, REPORT_MS, type ListenAddress, type PrimaryMessage, type WorkerMessage } from './cluster-messages.ts';
import { requestFamilies } from '../request-series.ts';
import { buildRouter, type Router } from '../router.ts';
import { drainChanges } from '../series.ts';
import { shareStrings } from '../../model/shared-strings.ts';
import { exposedGc, heapSettler } from '../../lib/heap-settle.ts';
import { trackSiteStats, type Outcome, type SiteStats, type SiteStatsSample } from '../site-stats.ts';

let router: Router | undefined;
let stats: SiteStats | undefined;
const send = (m: WorkerMessage) => process.send?.(m);
const settle = heapSettler({ gc: exposedGc() }); // the heap compacted once a burst of table changes or of requests is over

// samples since the last report: site → second → one sample
let pending = new Map<string, Map<number, SiteStatsSample>>();
const onSample = (site: string, second: number, ms: number, outcome: Outcome) => {
  let bySecond = pending.get(site);
  if (!bySecond) pending.set(site, (bySecond = new Map()));
  let s = bySecond.get(second);
  if (!s) bySecond.set(second, (s = [second, 0, 0, [], 0]));
  s[1]++;
  if (outcome === 'server') s[2]++;
  else if (outcome === 'client') s[4] = (s[4] ?? 0) + 1;
  // a uniform sample of the second's latencies (reservoir of 256)
  const kept = Math.round(ms * 100) / 100;
  if (s[3].length < 256) s[3].push(kept);
  else {
    const j = Math.floor(Math.random() * s[1]);
    if (j < 256) s[3][j] = kept;
  }
};
async function report(): Promise<void> {
  const taken = pending;
  pending = new Map();
  const sites: Record<string, SiteStatsSample[]> = {};
  for (const [site, bySecond] of taken) sites[site] = [...bySecond.values()];
  const series = drainChanges(requestFamilies);
  if (taken.size === 0 && !series) return; // nothing new for the primary
  await new Promise<void>((resolve) => (process.connected ? process.send?.({ type: 'stats', sites, ...(series ? { series } : {}) } satisfies WorkerMessage, () => resolve()) : resolve()));
}

process.on('message', (m: PrimaryMessage) => {
  if (m.type !== 'close') settle.touch();
  // a route's strings arrive as copies of their own (the channel's JSON): the same VS name and address in every route of a pool
  if (m.type === 'start' || m.type === 'routes') shareStrings(m.routes);
  else if (m.type === 'route-diff') shareStrings(m.put);
  if (m.type === 'start') {
    const { accessLog, ...options } = m.options;
    const access = accessLog ? logger('access', { worker: process.pid }) : null;
    // each worker its own files (ids count from 1 per primary): per-site access lines, and its JSON log when the primary keeps one
    const name = `worker-${cluster.worker?.id ?? process.pid}`;
    if (process.env.CORRAL_LOG_DIR) setLogSinks([openCappedFile(join(process.env.CORRAL_LOG_DIR, `router-${name}.log`))]);
    router = buildRouter({ ...options, siteLogName: name, accessLog: access, log: logger('router', { worker: process.pid }) });
    router.setRoutes(m.routes);
    router.onWake((site) => send({ type: 'wake', site }));
    const loaded = router;
    // an idle worker says so once, then nothing (the primary forgets a report older than 2.5 × LOAD_MS)
    let idle = false;
    setInterval(() => {
      const sites = loaded.takeLoad();
      const none = Object.keys(sites).length === 0;
      if (!none) settle.touch(); // requests allocate too: compact once they stop
      if (none && idle) return;
      idle = none;
      send({ type: 'load', sites });
    }, LOAD_MS).unref();
    if (m.options.metrics) {
      stats = trackSiteStats(router, Date.now, onSample);
      stats.setRoutes(m.routes);
      setInterval(() => void report().catch(() => {}), REPORT_MS).unref();
    }
    router.setCertificates(m.certificates);
    const r = router;
    const https = m.httpsListen;
    // one after the other: the order tells two listeners on the same (host, port 0) apart (see cluster.ts)
    void (async () => {
      const port = await listen(r.server, m.listen);
      const httpsPort = https && r.tlsServer ? await listen(r.tlsServer, https) : undefined;
      send({ type: 'listening', port, ...(httpsPort !== undefined ? { httpsPort } : {}) });
    })().catch((err: Error) => {
      if (process.connected) process.send?.({ type: 'error', message: err.message } satisfies WorkerMessage, () => process.exit(1));
      else process.exit(1);
    });
  } else if (m.type === 'routes') {
    router?.setRoutes(m.routes);
    stats?.setRoutes(m.routes);
  } else if (m.type === 'route-diff') {
    router?.updateRoutes(m);
    stats?.updateRoutes(m);
  } else if (m.type === 'abandon') {
    router?.abandonEndpoints(m.endpoints);
  } else if (m.type === 'certificates') {
    router?.setCertificates(m.certificates);
  } else if (m.type === 'close') {
    settle.stop();
    const r = router;
    const timer = setTimeout(() => process.exit(0), m.drainMs);
    // the last report after the drain, so requests served while closing are counted
    void (r ? r.close() : Promise.resolve()).then(() => (stats ? report() : undefined)).catch(() => {}).finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(0)); // the primary is gone: so is this worker
// Ctrl-C reaches the whole process group: the primary decides when workers stop (a drain).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
send({ type: 'ready' }); // messages sent before the listener above existed would be lost

function listen(server: Server, at: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
