// The guests' way to the farm's PostgreSQL: a TCP forwarder on the engine's bridge address
// (port 5432) to where the engine reaches PostgreSQL (127.0.0.1 of the host, which no guest
// can reach: a guest's netns has its own loopback). Guests whose site has a database may
// connect to this one address and port (network.ts egressRules) and nothing else of the host.
// Bytes are piped as they come (TLS, if a client asks, is PostgreSQL's business); PostgreSQL
// authenticates every login (pg_hba `samerole`, scram-sha-256).

import { connect, createServer, type Server, type Socket } from 'node:net';
import type { DatabaseTarget } from '../runtime.ts';

export const GUEST_DB_PORT = 5432;

export interface DbForwarder {
  readonly address: DatabaseTarget;
  /** Stops listening and cuts open connections; safe twice. */
  close(): Promise<void>;
}

export function startDbForwarder(host: string, target: DatabaseTarget, port = GUEST_DB_PORT): Promise<DbForwarder> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      let closed: Promise<void> | undefined;
      resolve({
        address: { host, port },
        close() {
          closed ??= new Promise((r) => {
            server.close(() => r());
            for (const s of open) s.destroy();
          });
          return closed;
        },
      });
    });
  });
}
