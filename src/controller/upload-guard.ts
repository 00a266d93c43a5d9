// What a caller may hold of the controller with request bodies. Each open request holds a
// socket, and an upload a `.partial` file too; nothing bounded either, and one customer
// holding 10,500 stalled release uploads used up the process's file descriptors, after
// which every customer's deploy failed with EMFILE (and the farm's own parts run in that
// process). So:
// - a body must keep arriving: no byte of it for bodyIdleMs, and the connection gets
//   408 request_timeout and is closed (stalledBodies, every route with a body);
// - a customer has at most UPLOADS_PER_CUSTOMER uploads in progress at once, an admin
//   UPLOADS_PER_ADMIN; past it 429 uploads_busy (UploadSlots). A body that trickles (a
//   byte now and then) is bounded by this, not by the idle timeout.
// Before any token is read, a socket is held by whoever opens one; so also:
// - a request's headers must arrive within headersTimeoutMs (10 s), checked every second
//   (node's own check, every 30 s, let a client that sends nothing hold a socket 60–90 s);
// - one client address has at most maxConnectionsPerAddress (256) open connections; the
//   next gets 429 too_many_connections and is closed at accept (capConnections);
// - a closing server no longer times out a connection that has sent nothing, and node's
//   close waits for it: without a cut, one such client held `corral up`'s stop for its
//   step's whole deadline. Once the API closes, requests in flight get CLOSE_GRACE_MS, then
//   every connection left is cut (closeLeftovers).

import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { UploadsBusyError } from './errors.ts';
import type { Principal } from './principal.ts';

/** How long a request body may send nothing before its connection is closed, by default. */
export const DEFAULT_BODY_IDLE_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECTIONS_PER_ADDRESS = 256;
export const CLOSE_GRACE_MS = 2_000;
export const UPLOADS_PER_CUSTOMER = 4;
export const UPLOADS_PER_ADMIN = 16;

const TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ';

/**
 * Watch the body of req: when no byte of it arrives for idleMs before it is complete, the
 * client gets 408 (unless an answer has begun) and the connection closes, which ends the
 * route's reading of it as a cut-off body does. Nothing is watched for a request without a
 * body, and the watch ends with the body or the answer.
 */
export function stalledBodies(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const socket = req.socket;
  // (an injected request, app.inject, has no socket to watch)
  if (idleMs <= 0 || req.complete || !hasBody(req) || typeof socket?.setTimeout !== 'function') return;
  const stop = (): void => {
    req.off('timeout', onIdle);
    if (!socket.destroyed) socket.setTimeout(0);
  };
  // node:http emits 'timeout' on a request not yet complete when its socket has been idle
  function onIdle(): void {
    stop();
    if (req.complete || socket.destroyed) return;
    if (!res.headersSent) {
      const body = JSON.stringify({ error: { code: 'request_timeout', message: `no byte of the request body arrived for ${Math.round(idleMs / 1000)} s` } });
      socket.end(`${TIMEOUT_ANSWER}${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroySoon();
  }
  socket.setTimeout(idleMs);
  req.on('timeout', onIdle);
  req.once('end', stop);
  res.once('finish', stop);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Uploads in progress per caller (a customer's tokens share theirs; admins share one). */
export class UploadSlots {
  readonly #open = new Map<string, number>();

  /** A slot for p's upload, given back by the returned function (once); UploadsBusyError when p has all its slots. */
  take(p: Principal): () => void {
    const key = p.role === 'customer' ? `customer:${p.customer}` : p.role;
    const limit = p.role === 'customer' ? UPLOADS_PER_CUSTOMER : UPLOADS_PER_ADMIN;
    const n = this.#open.get(key) ?? 0;
    if (n >= limit) throw new UploadsBusyError(limit);
    this.#open.set(key, n + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }
}

/**
 * Close at accept every connection past perAddress open from one client address, with a
 * 429 too_many_connections (0: no limit). Counts what is open now: a closed connection
 * gives its place back.
 */
export function capConnections(server: Server, perAddress: number): void {
  if (perAddress <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = open.get(address) ?? 0;
    if (n >= perAddress) {
      const body = JSON.stringify({ error: { code: 'too_many_connections', message: `${perAddress} connections from ${address} are open already` } });
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.destroySoon();
      return;
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/** Once app closes, cut every connection still open after CLOSE_GRACE_MS. */
export function closeLeftovers(app: FastifyInstance): void {
  let cut: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearTimeout(cut);
    done();
  });
}
