// The guests' way to the farm's PostgreSQL: a TCP forwarder on the engine's bridge address
// (port 5432) to where the engine reaches PostgreSQL (127.0.0.1 of the host, which no guest
// can reach: a guest's netns has its own loopback). Guests whose site has a database may
// connect to this one address and port (network.ts egressRules) and nothing else of the host.
// Bytes are piped as they come (TLS, if a client asks, is PostgreSQL's business); PostgreSQL
// authenticates every login (pg_hba `samerole`, scram-sha-256).

import { startTcpForwarder } from '../../lib/tcp-forwarder.ts';
import type { DatabaseTarget } from '../runtime.ts';

export const GUEST_DB_PORT = 5432;

export interface DbForwarder {
  readonly address: DatabaseTarget;
  /** Stops listening and cuts open connections; safe twice. */
  close(): Promise<void>;
}

export async function startDbForwarder(host: string, target: DatabaseTarget, port = GUEST_DB_PORT): Promise<DbForwarder> {
  const f = await startTcpForwarder({ host, port, target: () => target });
  return { address: { host, port: f.port }, close: () => f.close() };
}
