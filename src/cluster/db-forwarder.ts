// A TCP forwarder to the database cluster's current primary: guests (and the controller's
// management code) connect to one fixed address, and the forwarder connects them on to
// whichever member Patroni's leader key names now. With no primary (between the old
// leader's lease expiring and the new one's promotion) a connection is closed at once, so
// a client's retry is what waits. When the primary changes, every connection still open
// to the old one is cut: a demoted or cut-off primary gets no more writes through here.

import net from 'node:net';
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

export async function startDbForwarder(opts: DbForwarderOptions): Promise<DbForwarder> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const to = opts.primary();
    if (!to) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: to.host, port: to.port, allowHalfOpen: true });
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', (err) => {
      opts.log?.debug({ err: err.message, to: `${to.host}:${to.port}` }, 'db.forward_failed');
      end();
    }).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port,
    cut,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        cut();
      });
      return closing;
    },
  };
}
