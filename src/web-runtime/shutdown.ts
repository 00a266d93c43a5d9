// Graceful stop of an http.Server: stop accepting, let in-flight requests finish, close
// keep-alive connections as they go idle, and force everything shut at a deadline.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type ShutdownResult = 'drained' | 'forced';

/** How often idle keep-alive connections are swept while draining. */
const SWEEP_MS = 100;

const pending = new WeakMap<Server, Promise<ShutdownResult>>();

/** Resolves once the server is closed. Safe to call twice (the second call gets the same promise). */
export function closeGracefully(server: Server, deadlineMs = 10_000): Promise<ShutdownResult> {
  let done = pending.get(server);
  if (!done) {
    done = drain(server, deadlineMs);
    pending.set(server, done);
  }
  return done;
}

function drain(server: Server, deadlineMs: number): Promise<ShutdownResult> {
  return new Promise((resolve) => {
    let result: ShutdownResult = 'drained';
    // A request that still arrives on an open keep-alive connection is served, then its connection closed.
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Connection', 'close');
    };
    // In-flight responses make their connections idle when they finish: close those as they appear.
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    const deadline = setTimeout(() => {
      result = 'forced';
      server.closeAllConnections();
    }, deadlineMs);
    server.prependListener('request', onRequest);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      server.off('request', onRequest);
      resolve(result);
    });
    server.closeIdleConnections();
  });
}
