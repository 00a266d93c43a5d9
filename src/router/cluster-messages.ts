// The IPC messages between the router cluster's primary and its workers.
import type { Route } from '../model/index.ts';
import type { MetricsJson } from './cluster-stats.ts';
import type { RouterOptions } from './options.ts';
import type { SiteStatsSample } from './site-stats.ts';

/** What a worker's router is built with: loggers are made in the worker. */
export type WorkerRouterOptions = Omit<RouterOptions, 'log' | 'accessLog'> & { accessLog?: boolean };

export type PrimaryMessage =
  | { type: 'start'; options: WorkerRouterOptions; listen: { port: number; host?: string }; routes: readonly Route[] }
  | { type: 'routes'; routes: readonly Route[] }
  | { type: 'close'; drainMs: number };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'listening'; port: number }
  | { type: 'error'; message: string }
  /** Every REPORT_MS: per-site samples since the last report, and the worker's metric values so far. */
  | { type: 'stats'; sites: Record<string, SiteStatsSample[]>; metrics: MetricsJson };
