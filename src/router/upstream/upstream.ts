// An upstream: what sends one try of a request to an endpoint and relays the answer into
// the client's reply. Two implementations:
//   - the raw upstream (raw-upstreams.ts): the router's own keep-alive HTTP/1.1 client
//     (net.Socket + node's llhttp), for bodiless requests (HTTP/1.x and HTTP/2 clients);
//   - undici (upstream-pools.ts): an undici Pool per endpoint, for everything.
// proxy-request.ts forwards through the first upstream that carries the request (the
// raw one first, unless rawUpstream is off) and knows nothing else of either. Upgrades
// (WebSocket) take neither: proxy-upgrade.ts tunnels a raw socket. upstream.contract.ts
// is what both must do alike, and says in one place where they differ on purpose.

import type { Readable } from 'node:stream';
import type { Endpoint, Route } from '../../model/index.ts';
import type { ClientReply, ClientRequest } from '../front/client-exchange.ts';
import type { FrontRequest } from '../front/front.ts';
import type { TrustedProxies } from '../policy/trusted-proxies.ts';
import type { SendStalls } from '../front/send-stalls.ts';

/** The request head as an upstream forwards it: a serialised head (raw) or a [name, value, …] list (undici). */
export type ForwardedHead = string | string[];

/** One request being forwarded, as every try of it reads it (proxy-request.ts's Forwarding). */
export interface UpstreamRequest {
  readonly req: FrontRequest;
  /** The body to stream upstream (null: none), with the site's size limit applied. */
  readonly body: Readable | null;
  /** From the carrying upstream's prepare(), once for every try. */
  readonly head: ForwardedHead;
  readonly res: ClientReply;
  /** Where a relay says its client refused a write, and when it drained (the send timeout). */
  readonly stalls: SendStalls;
  /**
   * Set (to the try's route) when the per-try timeout of the try in progress is the router's
   * default, not the site's own: the raw upstream lets it pass while the endpoint shows signs
   * of life (liveness.ts: it answers other requests, or a probe of the route's health path),
   * so a slow page on a live server is not run again elsewhere; undici applies it as given.
   */
  readonly perTryLenient: Route | undefined;
  /**
   * A try of this request failed: the next goes on a new connection, never an idle one. A
   * server that broke one connection has most likely died with all of them, and a retry on
   * its next idle connection broke too (the request answered 502 after two breaks, as a
   * query of death). The raw upstream honours it; undici cannot pick a connection, but the
   * failed try's reset() retired the endpoint's pool if it had idle ones.
   */
  readonly fresh: boolean;
  /** A try failed; responseStarted: a byte of the response reached the client (no retry then). A method, so that no callback is bound per request. */
  tryFailed(err: Error, responseStarted: boolean): void;
}

/** A try in flight. */
export interface Exchange {
  /** The client left: drop the try (its connection is not reused mid-response). */
  abort(reason: Error): void;
}

export interface Upstream {
  /** Which implementation: 'raw' (raw-upstreams.ts) or 'undici' (upstream-pools.ts). */
  readonly name: 'raw' | 'undici';
  /** Can it carry this request (hasBody: a body follows the head)? */
  carries(req: FrontRequest, hasBody: boolean): boolean;
  /** The head to forward (forward-headers.ts), made once per request. */
  prepare(req: ClientRequest, trust: TrustedProxies): ForwardedHead;
  /**
   * One try to ep: the response is relayed into r.res, a failure goes to r.tryFailed.
   * headersTimeoutMs: the try's own limit for the response headers (a per-try timeout);
   * extra: [name, value, …] added to the response (a balancer's Set-Cookie).
   */
  send(ep: Endpoint, key: string, r: UpstreamRequest, headersTimeoutMs: number | undefined, extra: readonly string[] | undefined): Exchange;
  /** Only these endpoints are still routed: the others' connections close once idle. */
  retain(keys: ReadonlySet<string>): void;
  /** The endpoint is gone: every try in flight to it fails with err now. */
  abandon(key: string, err: Error): void;
  /**
   * A connection to the endpoint was refused or broke: its idle connections share its fate
   * (a killed server reset them all, and the router may not have read each reset yet), so
   * they are closed and the next tries open new ones. Tries in flight go on.
   */
  reset(key: string): void;
  /** Close idle connections now, busy ones when their try ends. Safe twice. */
  close(): Promise<void>;
  /** Cut every connection and try. Safe twice. */
  destroy(): Promise<void>;
}
