// The IPC messages between the router cluster's primary and its workers.
import type { Endpoint, Route } from '../../model/index.ts';
import type { SeriesChanges } from '../series.ts';
import type { RouterOptions } from '../options.ts';
import type { SiteStatsSample } from '../site-stats.ts';
import type { LoadReport } from '../site-load.ts';
import type { SiteCertificate } from '../front/tls-certificates.ts';

/** How often a worker reports its per-site samples and changed series (when something moved). */
export const REPORT_MS = 1_000;
/** How often each worker reports its per-site load (site-load.ts) to the primary. */
export const LOAD_MS = 1_000;

/** What a worker's router is built with: loggers are made in the worker (`tls` is the default certificate). */
export type WorkerRouterOptions = Omit<RouterOptions, 'log' | 'accessLog'> & { accessLog?: boolean };

export interface ListenAddress {
  port: number;
  host?: string;
}

export type PrimaryMessage =
  | {
      type: 'start';
      options: WorkerRouterOptions;
      listen: ListenAddress;
      /** Also listen for HTTPS here (options.tls is then set). */
      httpsListen?: ListenAddress;
      routes: readonly Route[];
      certificates: readonly SiteCertificate[];
    }
  | { type: 'routes'; routes: readonly Route[] }
  /** Per site: these sites' routes put, these sites removed (Router.updateRoutes). */
  | { type: 'route-diff'; put: readonly Route[]; remove: readonly string[] }
  /** Endpoints known dead: Router.abandonEndpoints. */
  | { type: 'abandon'; endpoints: readonly Endpoint[] }
  | { type: 'certificates'; certificates: readonly SiteCertificate[] }
  | { type: 'close'; drainMs: number };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'listening'; port: number; httpsPort?: number }
  | { type: 'error'; message: string }
  /** Every REPORT_MS when something moved: per-site samples since the last report, and the request series that changed (series.ts). */
  | { type: 'stats'; sites: Record<string, SiteStatsSample[]>; series?: SeriesChanges }
  /** Every LOAD_MS, whatever `metrics`: the worker's per-site load since its last report (site-load.ts); an idle worker sends one empty report, then none. */
  | { type: 'load'; sites: LoadReport }
  /** A request for this idle site is held: ask for a wake. */
  | { type: 'wake'; site: string };
