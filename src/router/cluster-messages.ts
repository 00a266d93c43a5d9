// The IPC messages between the router cluster's primary and its workers.
import type { Route } from '../model/index.ts';
import type { RouterOptions } from './options.ts';

/** What a worker's router is built with: loggers are made in the worker. */
export type WorkerRouterOptions = Omit<RouterOptions, 'log' | 'accessLog'> & { accessLog?: boolean };

export type PrimaryMessage =
  | { type: 'start'; options: WorkerRouterOptions; listen: { port: number; host?: string }; routes: readonly Route[] }
  | { type: 'routes'; routes: readonly Route[] }
  | { type: 'close'; drainMs: number };

export type WorkerMessage = { type: 'ready' } | { type: 'listening'; port: number } | { type: 'error'; message: string };
