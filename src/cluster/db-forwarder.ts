// A TCP forwarder to the database cluster's current primary: guests (and the controller's
// management code) connect to one fixed address, and the forwarder connects them on to
// whichever member Patroni's leader key names now. With no primary (between the old
// leader's lease expiring and the new one's promotion) a connection is closed at once, so
// a client's retry is what waits. When the primary changes, every connection still open
// to the old one is cut: a demoted or cut-off primary gets no more writes through here.

import { startTcpForwarder } from '../lib/tcp-forwarder.ts';
import type { Logger } from '../lib/log.ts';
import type { DbEndpoint } from './db-primary.ts';

export interface DbForwarderOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  primary(): DbEndpoint | undefined;
  log?: Logger;
}

export interface DbForwarder {
  host: string;
  port: number;
  /** Cut every open connection (call when the primary changes). */
  cut(): void;
  close(): Promise<void>;
}

export function startDbForwarder(opts: DbForwarderOptions): Promise<DbForwarder> {
  return startTcpForwarder({
    host: opts.host,
    port: opts.port,
    target: opts.primary,
    onUpstreamError: (err, to) => opts.log?.debug({ event: 'db.forward_failed', err: err.message, to: `${to.host}:${to.port}` }, 'database connection could not be forwarded'),
  });
}
