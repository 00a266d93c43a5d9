// Graceful close and aborting destroy for the router's listener. close(): stop
// accepting, close idle keep-alive connections as they become idle, wait for open
// requests and tunnels up to the drain deadline, then destroy what is left and release
// the upstream pools. destroy(): cut every connection now. Both are safe to call twice.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Front } from './front.ts';

export interface Lifecycle {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface Releasable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** A listener's open connections: how many, cut them all, or wait until none is left. */
export interface OpenSockets {
  readonly size: number;
  destroyAll(): void;
  /** Resolves when the last open connection has closed (at once if none is open). */
  drained(): Promise<void>;
}

/** Track a listener's connections from now on (HTTP, HTTPS and HTTP/2 alike). */
export function trackSockets(server: { on(event: 'connection', listener: (socket: Socket) => void): unknown }): OpenSockets {
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) waiting.splice(0).forEach((done) => done());
    });
  });
  return {
    get size() {
      return sockets.size;
    },
    destroyAll: () => sockets.forEach((s) => s.destroy()),
    drained: () => (sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
  };
}

/** front: the listener's front, which closes its idle connections (front.ts). */
export function serverLifecycle(server: Server, drainTimeoutMs: number, upstream: Releasable, front: Front): Lifecycle {
  const sockets = trackSockets(server);
  const destroySockets = () => sockets.destroyAll();
  const closeIdleConnections = () => front.closeIdle();
  const stopListening = () => {
    if (server.listening) server.close();
  };

  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stopListening();
      closeIdleConnections();
      if (sockets.size > 0) {
        const sweep = setInterval(closeIdleConnections, 20);
        const deadline = setTimeout(destroySockets, drainTimeoutMs);
        await sockets.drained();
        clearInterval(sweep);
        clearTimeout(deadline);
      }
      if (!destroying) await upstream.close();
    })());

  const destroy = (): Promise<void> =>
    (destroying ??= (async () => {
      stopListening();
      destroySockets();
      await upstream.destroy();
    })());

  return { close, destroy };
}
