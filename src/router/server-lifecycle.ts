// Graceful close and aborting destroy for the router's listener. close(): stop
// accepting, close idle keep-alive connections as they become idle, wait for open
// requests and tunnels up to the drain deadline, then destroy what is left and release
// the upstream pools. destroy(): cut every connection now. Both are safe to call twice.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Lifecycle {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface Releasable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** closeIdle: also close the idle connections of a front that node:http does not track (raw-server.ts). */
export function serverLifecycle(server: Server, drainTimeoutMs: number, upstream: Releasable, closeIdle?: () => void): Lifecycle {
  const sockets = new Set<Socket>();
  const drained: Array<() => void> = [];
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) drained.splice(0).forEach((done) => done());
    });
  });
  const destroySockets = () => sockets.forEach((s) => s.destroy());
  const closeIdleConnections = () => {
    server.closeIdleConnections();
    closeIdle?.();
  };
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
        await new Promise<void>((resolve) => drained.push(resolve));
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
