// A TCP forwarder: listens on host:port and pipes each connection, both ways and half-close
// included, to where `target()` says at the moment it arrives (undefined: the connection is
// closed at once, so the client's retry is what waits). A failure on either side ends both.
// Used by the engine to publish namespace guests on its address, by namespace guests' way
// to the farm's PostgreSQL, and by the database cluster's forwarder to its primary.

import net from 'node:net';

export interface TcpTarget {
  host: string;
  port: number;
}

export interface TcpForwarderOptions {
  host: string;
  /** 0 (the default): any free port. */
  port?: number;
  target(): TcpTarget | undefined;
  /** The connection to the target failed (logging only; both sides are ended). */
  onUpstreamError?(err: Error, to: TcpTarget): void;
}

export interface TcpForwarder {
  host: string;
  port: number;
  /** Cut every open connection (say the target changed), keep listening. */
  cut(): void;
  /** Stop listening and cut every open connection; safe to call twice. */
  close(): Promise<void>;
}

export async function startTcpForwarder(opts: TcpForwarderOptions): Promise<TcpForwarder> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const to = opts.target();
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
      opts.onUpstreamError?.(err, to);
      end();
    }).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const cut = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port: (server.address() as net.AddressInfo).port,
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
