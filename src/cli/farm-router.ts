// The router of `corral up`: the router part (src/cluster/router-part.ts) with the farm's
// options. In this process (one worker) or as a primary and N worker processes sharing
// the HTTP and HTTPS ports; it follows routes/ and certificates/ in the store, serves
// HTTPS with the self-signed dev certificate (dev-cert.ts) for names without a site
// certificate, writes each site's access lines for `corral logs`, and gives the farm its
// per-site figures and metrics. Workers take a second or so to load their code, so
// `corral up` boots them (bootFarmRouterWorkers) before it loads the rest of the farm;
// they listen only when the farm reaches the router step. Light on purpose: this module
// loads only the router cluster's primary (router-boot.ts), not the router.

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { RouterPartOptions } from '../cluster/index.ts';
import { bootRouterWorkers, routerLogDir, type BuiltRouter, type RouterBuildOptions } from '../cluster/router-boot.ts';
import { logger, type Logger } from '../lib/log.ts';
import { ensureDevCertificate } from './dev-cert.ts';

/** The router's id in the store (its load record, keys.routerLoad; its record, keys.router). */
export const FARM_ROUTER_ID = 'local';

/** Ctrl-C: open requests get this long to finish, then connections are cut (the farm's stop budget, farm.ts). */
export const STOP_DRAIN_MS = 1_000;

export { routerLogDir };

/** The farm's options (farm.ts FarmOptions) the router is started with; declared here so this module needs nothing of farm.ts. */
export interface FarmRouterFlags {
  httpPort: number;
  host: string;
  httpsPort?: number;
  routerWorkers?: number;
  accessLog?: boolean;
  trustedProxies?: readonly string[];
  wake?: RouterBuildOptions['wake'];
  log?: Logger;
}

/**
 * What the farm's router is started with (also for bootFarmRouterWorkers before the farm
 * starts): one machine, so a plain record (no lease). The live-endpoint filter runs as on a
 * router node, for exits only: the reconciler publishes in this process, but only the
 * filter cuts the requests in flight to a VS whose process exited; a lapsed lease here
 * means this process stalled, not that a VS died (live-endpoints.ts). Makes the dev
 * certificate on first start.
 */
export async function farmRouterOptions(dir: string, opts: FarmRouterFlags, partLog: (part: string) => Logger = (part) => (opts.log ? opts.log.child({ part }) : logger(part))): Promise<RouterPartOptions> {
  const devCert = opts.httpsPort !== undefined ? await ensureDevCertificate(resolve(dir)) : undefined;
  return {
    id: FARM_ROUTER_ID, workers: opts.routerWorkers ?? availableParallelism(), httpPort: opts.httpPort, host: opts.host,
    ...(devCert ? { https: { port: opts.httpsPort!, cert: { cert: devCert.cert, key: devCert.key } } } : {}),
    metrics: true, liveEndpoints: 'one-machine', accessLog: opts.accessLog === true, siteLogDir: routerLogDir(dir), drainMs: STOP_DRAIN_MS,
    trustedProxies: opts.trustedProxies ?? [], wake: opts.wake ?? {}, log: partLog('router'), accessLogger: () => partLog('access'),
  };
}

/** Fork and boot the workers (not listening yet); undefined for one worker (in-process). */
export function bootFarmRouterWorkers(o: RouterPartOptions): Promise<BuiltRouter> | undefined {
  return o.workers > 1 ? bootRouterWorkers(o, o.log) : undefined;
}
