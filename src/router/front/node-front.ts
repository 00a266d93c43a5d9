// Node's front: node:http's server (or node:http2's secure server with allowHTTP1) reads
// every request and emits it; the chain hears 'request' and 'upgrade'. It is the front with
// rawFront off, and the one the raw front hands a connection to (raw-server.ts).
//
// node:http closes its idle keep-alive connections when asked (closeIdleConnections);
// node:http2's secure server keeps no account of its HTTP/1.1 connections, so on HTTPS
// this front keeps one itself (Http1Connections): requests in flight per connection, so
// that closing ends the idle ones now and the others once their reply is written.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { ClientReply } from './client-exchange.ts';
import type { Front, FrontRequest, RequestChain } from './front.ts';

export function installNodeFront(server: Server | Http2SecureServer, chain: RequestChain): Front {
  const own = 'closeIdleConnections' in server ? undefined : new Http1Connections();
  const onRequest = (req: FrontRequest, res: ClientReply): void => {
    if (!('stream' in req)) {
      // llhttp reads `HTTP/2.0` (or 0.9) in an HTTP/1 request line; only 1.0 and 1.1 are
      // served there, as the raw front does. HTTP/2's own requests come with their stream.
      if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return refuseVersion(res);
      own?.begin(req as IncomingMessage, res as unknown as ServerResponse);
    }
    chain.request(req, res);
  };
  server.on('request', onRequest as (...args: unknown[]) => void);
  server.on('upgrade', chain.upgrade);
  return {
    name: 'node',
    closeIdle() {
      // HTTP/2 sessions are told to go away by tls-server.ts
      if (own) own.closeIdle();
      else (server as Server).closeIdleConnections();
    },
  };
}

/** HTTP/1.1 connections of node:http2's secure server that node's front has read a request from. */
class Http1Connections {
  /** Requests in flight per connection. */
  readonly #inFlight = new Map<Socket, number>();
  #closing = false;

  begin(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const n = this.#inFlight.get(socket);
    if (n === undefined) socket.once('close', () => this.#inFlight.delete(socket)); // once per connection
    this.#inFlight.set(socket, (n ?? 0) + 1);
    if (this.#closing) res.setHeader('connection', 'close'); // node ends the connection after this reply
    res.once('close', () => this.#end(socket)); // the node path only; the raw front's requests never come here
  }

  closeIdle(): void {
    this.#closing = true;
    for (const [socket, n] of this.#inFlight) if (n === 0) socket.end();
  }

  #end(socket: Socket): void {
    const n = (this.#inFlight.get(socket) ?? 1) - 1;
    if (!this.#inFlight.has(socket)) return;
    this.#inFlight.set(socket, n);
    if (n === 0 && this.#closing) socket.end();
  }
}

function refuseVersion(res: ClientReply): void {
  res.writeHead(400, { connection: 'close', 'content-length': '0' });
  res.end();
}
