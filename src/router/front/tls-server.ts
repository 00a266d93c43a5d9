// The router's HTTPS listener: one node:http2 secure server with allowHTTP1, so ALPN
// picks HTTP/2 ("h2") or HTTP/1.1 per connection; certificates per SNI name from the
// CertificateStore, the default certificate for unknown or absent names; a site
// certificate of any key type wins over the default by the server's preference order
// (tls-preference.ts: RSA and ECDSA alike, TLS 1.2 and 1.3). Both
// protocols go to the same request handler as plain HTTP; upgrades (WebSocket) are
// HTTP/1.1 only and arrive through the 'upgrade' event of the HTTP/1.1 side.
// With rawFront (the default), an HTTP/1.1 connection is read by the raw front
// (raw-server.ts) once its handshake is done, as a plain one is; what it does not take
// (a body, an upgrade) is handed to node:http's HTTP/1.1 side mid-connection.

import { createSecureServer, Http2ServerResponse, type Http2SecureServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { clientSideSettings, type RouterConfig } from '../options.ts';
import type { CertificatePem, CertificateStore } from './tls-certificates.ts';
import { handshakePreference } from './tls-preference.ts';
import { trackSockets, type Lifecycle } from './server-lifecycle.ts';
import { installTlsRawFront } from './raw-server.ts';
import { installNodeFront } from './node-front.ts';
import { setHttp1Settings } from '../raw-parser.ts';
import type { RequestChain } from './front.ts';
import type { SendStalls } from './send-stalls.ts';

export function createTlsServer(
  config: RouterConfig,
  defaultCert: CertificatePem,
  certs: CertificateStore,
  chain: RequestChain,
  stalls: SendStalls,
): { server: Http2SecureServer; lifecycle: Pick<Lifecycle, 'close' | 'destroy'> } {
  const server = createSecureServer(
    {
      // with no send timeout (0) node's own response: nothing to watch per reply
      ...(config.clientSendTimeoutMs > 0 ? { Http2ServerResponse: endingResponse(stalls) } : {}),
      allowHTTP1: true,
      noDelay: true,
      // a client that never finishes its handshake is a slowloris too: as long as a head may take
      handshakeTimeout: config.clientHeadersTimeoutMs,
      cert: defaultCert.cert,
      key: defaultCert.key,
      // `this` is the TLS socket: ALPN (acme-tls/1, tls-certificates.ts) is settled before SNI
      SNICallback(servername, cb) {
        certs.sniCallback(servername, cb, this as unknown as TLSSocket);
      },
      ALPNCallback(this: TLSSocket, hello) {
        return certs.alpnCallback(this, hello);
      },
      ...handshakePreference(defaultCert.cert),
      // 128 streams at once per connection, as nginx's http2_max_concurrent_streams: node's
      // default is none, and one client's connection opened 11,000 (an upstream connection each)
      settings: { maxHeaderListSize: config.maxHeaderBytes, maxConcurrentStreams: 128 },
      // node's own limit (128 entries) would reset the stream; the chain answers 431 past
      // maxRequestHeaders (request-hygiene.ts); maxHeaderListSize still bounds the bytes
      maxHeaderListPairs: 1_024,
    },
  );
  // The HTTP/1.1 side reads node:http's server settings from the server object.
  setHttp1Settings(server, clientSideSettings(config));
  // the compat request/response of either protocol quack like node:http's (client-exchange.ts)
  const front = config.rawFront ? installTlsRawFront(server, chain, config) : installNodeFront(server, chain);
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  // An HTTP/2 session or HTTP/1.1 socket without a byte for clientRequestTimeoutMs is closed
  // (0: never); an HTTP/2 session without a stream open, after clientH2IdleMs (closeWhenIdle).
  server.setTimeout(config.clientRequestTimeoutMs);
  server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  // an ACME TLS-ALPN-01 validation: the handshake was all it asked for
  server.on('unknownProtocol', (socket: TLSSocket) => socket.destroy());

  const sockets = trackSockets(server);
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    closeWhenIdle(session, config.clientH2IdleMs);
  });
  const stopListening = () => {
    if (server.listening) server.close();
  };
  const destroy = async (): Promise<void> => {
    stopListening();
    sockets.destroyAll();
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stopListening();
      sessions.forEach((s) => s.close()); // GOAWAY: open streams finish, no new ones
      front.closeIdle(); // idle HTTP/1.1 connections now, busy ones after their reply
      if (sockets.size === 0) return;
      const deadline = setTimeout(sockets.destroyAll, config.drainTimeoutMs);
      await sockets.drained();
      clearTimeout(deadline);
    })());
  return { server, lifecycle: { close, destroy } };
}

/**
 * An HTTP/2 reply the router has ended but its client has not taken within
 * clientSendTimeoutMs is reset (send-stalls.ts), whoever wrote it: a relay, a router answer,
 * a site page. The relays see only a write that waits for 'drain'; a client that keeps its
 * flow-control window at 0 would otherwise hold a small reply (one that never waits) and
 * its stream for as long as it liked, and a large reply's last chunk too.
 */
function endingResponse(stalls: SendStalls): typeof Http2ServerResponse {
  function taken(this: Http2ServerResponse): void {
    stalls.drained(this);
  }
  // node's type makes the class generic over its request; the router's requests are node's own
  return class EndingResponse extends (Http2ServerResponse as new (stream: ServerHttp2Stream) => Http2ServerResponse) {
    override end(...args: unknown[]): this {
      Reflect.apply(super.end, this, args);
      if (!this.writableFinished && !this.destroyed) {
        stalls.waiting(this);
        this.once('close', taken);
      }
      return this;
    }
  } as typeof Http2ServerResponse;
}

/**
 * An HTTP/2 connection with no stream open for idleMs gets GOAWAY and closes, as an idle
 * HTTP/1.1 connection is closed after clientKeepAliveMs (nginx: keepalive_timeout, 75 s).
 * A stream whose HEADERS never end is not open (node emits it once they do): a client that
 * starts one and stops is closed too. Busy connections keep node's own transport timeout
 * (clientRequestTimeoutMs without a frame). 0: never.
 */
function closeWhenIdle(session: Http2Session, idleMs: number): void {
  if (idleMs <= 0) return;
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      if (open === 0 && !session.closed && !session.destroyed) session.close();
    }, idleMs).unref();
  };
  session.on('stream', (stream: { once(event: 'close', f: () => void): void }) => {
    open++;
    clearTimeout(timer);
    stream.once('close', () => {
      if (--open === 0) arm();
    });
  });
  session.once('close', () => clearTimeout(timer));
  arm();
}
