// Node's front: node:http's server (or node:http2's secure server with allowHTTP1) reads
// every request and emits it; the chain hears 'request', 'upgrade' and 'connect' (CONNECT,
// refused). It is the front with rawFront off, and the one the raw front hands a
// connection to (raw-server.ts). Beyond node:http it refuses an HTTP/1 request line of
// another version and HTTP/1.0 with Transfer-Encoding (400 and close), as the raw front does.
//
// Expect: 100-continue is answered by the chain (continueIfAsked) once it forwards the request.
//
// Pipelined HTTP/1 requests reach the chain one at a time (more than MAX_PIPELINED waiting
// closes the connection), and a reply not yet begun when the router closes says
// `connection: close` (handle, closeIdle).
//
// node:http closes its idle keep-alive connections when asked (closeIdleConnections);
// node:http2's secure server keeps no account of its HTTP/1.1 connections, so on HTTPS
// this front keeps one itself (Http1Connections): requests in flight per connection, so
// that closing ends the idle ones now and the others once their reply is written.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientReply } from './client-exchange.ts';
import type { Front, FrontRequest, RequestChain } from './front.ts';
import { refusedAtFront } from './request-hygiene.ts';

/** Requests an HTTP/1 client may have waiting behind the one being answered (node-front: pipelined). */
const MAX_PIPELINED = 128;

export function installNodeFront(server: Server | Http2SecureServer, chain: RequestChain): Front {
  const own = 'closeIdleConnections' in server ? undefined : new Http1Connections();
  // connections a request was refused on, by this front or by the chain (a reply that closes
  // the connection): node:http has parsed (and emits) what was pipelined behind it, which
  // must not reach the chain before the connection closes; node never writes its reply
  const refused = new WeakSet<object>();
  const lastReply = new WeakMap<object, ClientReply>();
  // requests pipelined on one HTTP/1 connection reach the chain one at a time, each once the
  // reply before it has closed, as on the raw front: node:http emits every request it has
  // parsed at once and reads on until replies pile up, so a client that sent many and read
  // none had them all forwarded at once (≈ 190 MB for one connection); past MAX_PIPELINED
  // waiting, the connection is closed
  const pipelined = new WeakMap<object, Array<[FrontRequest, ClientReply]>>();
  const onRequest = (req: FrontRequest, res: ClientReply): void => {
    if ('stream' in req) return chain.request(req, res);
    const waiting = pipelined.get(req.socket);
    if (waiting !== undefined) {
      if (waiting.length >= MAX_PIPELINED) return void req.socket.destroy();
      waiting.push([req, res]);
      return;
    }
    pipelined.set(req.socket, []);
    handle(req, res);
  };
  const next = (socket: object): void => {
    const waiting = pipelined.get(socket);
    const first = waiting?.shift();
    if (first === undefined) return void pipelined.delete(socket);
    handle(first[0], first[1]);
  };
  // HTTP/1 replies not yet begun when the router closes say `connection: close`, so that the
  // client sends nothing more on a connection that closes after them
  const answering = new Set<ServerResponse>();
  let closing = false;
  const handle = (req: FrontRequest, res: ClientReply): void => {
    const socket = req.socket;
    if (refused.has(socket)) return;
    if (lastReply.get(socket)?.closesConnection === true) return void refused.add(socket);
    const reply = res as unknown as ServerResponse;
    if (closing) reply.setHeader('connection', 'close');
    else answering.add(reply);
    res.once('close', () => {
      answering.delete(reply);
      next(socket);
    });
    lastReply.set(socket, res);
    // as the raw front does (request-hygiene.ts); HTTP/2's own requests come with their stream
    if (refusedAtFront(req.httpVersionMajor, req.httpVersionMinor, req.rawHeaders)) {
      refused.add(socket);
      return refuse(res);
    }
    own?.begin(req as IncomingMessage, res as unknown as ServerResponse);
    chain.request(req, res);
  };
  server.on('request', onRequest as (...args: unknown[]) => void);
  // Expect: 100-continue: without this listener node writes 100 Continue at once, before the
  // chain has admitted the request; the chain writes it once the request is to be forwarded
  // (continueIfAsked), so that a refusal (413 for a declared length over the site's limit,
  // 404, 429) is the answer the client waits for, and its body is never sent
  server.on('checkContinue', onRequest as (...args: unknown[]) => void);
  // any other Expect: the chain answers it (417, request-hygiene.ts), not node on its own
  server.on('checkExpectation', onRequest as (...args: unknown[]) => void);
  server.on('upgrade', chain.upgrade);
  // CONNECT, which node:http (and node:http2's HTTP/1.1 side) would otherwise answer by
  // closing the socket: the chain refuses it (501) on the socket an HTTP/1 one hands over,
  // and on an HTTP/2 request's reply (node:http2 emits its CONNECT here, with the reply)
  server.on('connect', (req: FrontRequest, socketOrReply: Duplex | ClientReply, head?: Buffer) => {
    if ('stream' in req) chain.request(req, socketOrReply as ClientReply);
    else chain.upgrade(req as IncomingMessage, socketOrReply as Duplex, head ?? Buffer.alloc(0));
  });
  return {
    name: 'node',
    closeIdle() {
      closing = true;
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      answering.clear();
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

/** 400 and close, as node:http refuses a request it cannot parse. */
function refuse(res: ClientReply): void {
  res.writeHead(400, { connection: 'close', 'content-length': '0', 'x-content-type-options': 'nosniff' });
  res.end();
}
