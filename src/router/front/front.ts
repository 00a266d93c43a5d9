// A front: what accepts a listener's client connections and hands the request chain each
// request. Two implementations, chosen by the rawFront option for both listeners (plain
// HTTP and the HTTPS one's HTTP/1.1 connections):
//   - the raw front (raw-server.ts): the router's own reading of bodiless HTTP/1.1
//     requests, which hands anything else to node's front mid-connection;
//   - node's front (node-front.ts): node:http, and node:http2's compat API on HTTPS.
// The chain (router.ts) knows only RequestChain and Front. front.contract.ts is what
// both must do alike, and says in one place where they differ on purpose.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClientReply } from './client-exchange.ts';
import { RawRequest } from './raw-message.ts';

/** A request as any front hands it over: node's IncomingMessage (HTTP/2's compat one too) or the raw front's RawRequest. */
export type FrontRequest = IncomingMessage | RawRequest;

/** The stream a request's body is read from; null when no body can follow (the raw front takes only those). */
export function bodyStream(req: FrontRequest): IncomingMessage | null {
  return req instanceof RawRequest ? null : req;
}

/**
 * The request is about to be forwarded, body and all: a client that asked
 * `Expect: 100-continue` (node's front hands such requests over without answering it) is told
 * to send its body now. A reply already begun (an error) or a request without one: nothing.
 */
export function continueIfAsked(req: FrontRequest, res: ClientReply): void {
  const expect = req.headers.expect;
  if (expect === undefined || res.headersSent || expect.toLowerCase() !== '100-continue') return;
  res.writeContinue?.();
}

/** What a front hands each request to: the request chain, one for every front. */
export interface RequestChain {
  /** A request and its reply. */
  readonly request: (req: FrontRequest, res: ClientReply) => void;
  /** An upgrade request (WebSocket or any protocol), or an HTTP/1 CONNECT (refused): the socket is the chain's from here. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface Front {
  /** Which implementation: 'raw' (raw-server.ts) or 'node' (node-front.ts). */
  readonly name: 'raw' | 'node';
  /** The router is closing: idle keep-alive connections close now, the others once their reply is written. */
  closeIdle(): void;
}
