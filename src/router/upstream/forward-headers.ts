// Headers across the proxy: hop-by-hop headers are dropped in both directions
// (RFC 9110 §7.6.1); on the way in the router sets X-Forwarded-For/-Proto/-Host,
// X-Real-IP, Forwarded (RFC 7239) and Via, and drops a client's X-Corral-Health (the mark
// of Corral's own health probes). One function for every path (the raw front
// and node:http, HTTP/1.1 and HTTP/2, the raw upstream, undici and upgrades).
//
// A client that is not one of the operator's trusted proxies (trusted-proxies.ts) cannot
// speak for anyone: its Forwarded, X-Real-IP and every X-Forwarded-* (For, Proto, Host,
// Port, Prefix, …) are dropped and replaced by the router's own, so a backend sees
// exactly what the router saw. A trusted proxy's chain is extended: X-Forwarded-For and
// Forwarded get this hop appended, its X-Forwarded-Proto/-Host (first value) and other
// X-Forwarded-* are kept, and X-Real-IP is the client it names (trusted hops skipped).
// Spellings with `_` for `-` (X_Forwarded_For) are dropped from everyone: CGI-style
// servers (PHP, WSGI) read them as the same variable as the real header.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ClientRequest } from '../front/client-exchange.ts';
import { headerValue, unmappedIp, type TrustedProxies } from '../policy/trusted-proxies.ts';

// http2-settings: the h2c upgrade's (RFC 9113 §3.2.1 calls it connection-specific); node:http2 refuses to send it
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);
/**
 * Response headers node:http2 sends at most once (its list, pseudo-headers aside): a second
 * makes it throw (ERR_HTTP2_HEADER_SINGLE_VALUE). A backend's repeat of one reaches an
 * HTTP/2 client as the last value, the one a browser reading HTTP/1.1 uses for Content-Type.
 * A copy of node's (internal) list: relay-head.test.ts fails when a Node upgrade changes it.
 */
export const H2_SINGLE: ReadonlySet<string> = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);
/**
 * Set by the router itself, never copied from the client. `expect` is answered by the router.
 * `x-corral-health` marks Corral's own health probes (the engine's and the router's, sent
 * to an endpoint directly), which an app may leave out of its logs: a client cannot pass
 * for one.
 */
const OWN = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'via', 'expect', 'x-corral-health']);
/** The forwarding headers a trusted proxy may pass on as they are (the others are rebuilt). */
const REBUILT = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded']);
/** Never dropped because a Connection header lists them. */
const PROTECTED = new Set(['host', 'content-length']);
const VIA = '1.1 corral';
/** RFC 7230 token characters: a Forwarded value made only of them needs no quotes. */
const TOKEN = /^[\w!#$%&'*+.^`|~-]+$/;

/** The request headers to send upstream, as a flat [name, value, …] list. */
export function upstreamRequestHeaders(req: ClientRequest, trust: TrustedProxies, opts: { upgrade?: boolean } = {}): string[] {
  const peer = unmappedIp(req.socket.remoteAddress ?? '');
  const trusted = trust.has(peer);
  const out = clientHeaders(req, trusted, opts.upgrade === true);
  ownHeaders(req, peer, trusted, trust, out);
  out.push('via', via(req.headers));
  return out;
}

/**
 * The raw fast path's request head: request line, forwarded headers, blank line. For a
 * client that is not a trusted proxy, the router's own forwarding headers are the same for
 * every request of its connection with the same Host: they are made once per connection
 * and Host, not per request.
 */
export function upstreamRequestHead(req: ClientRequest, trust: TrustedProxies): string {
  const socket = req.socket;
  // an HTTP/2 request's socket is a new stand-in each time: its session is the connection
  const key = (req as { stream?: { session?: object } }).stream?.session ?? socket;
  let conn = connections.get(key);
  if (conn === undefined) {
    const peer = unmappedIp(socket.remoteAddress ?? '');
    connections.set(key, (conn = { peer, trusted: trust.has(peer), host: undefined, own: undefined }));
  }
  const trusted = conn.trusted;
  const kept = clientHeaders(req, trusted, false);
  let head = `${req.method!} ${req.url!} HTTP/1.1\r\n${headLines(kept)}`;
  if (trusted) head += headLines(ownHeaders(req, conn.peer, true, trust, []));
  else {
    if (conn.own === undefined || conn.host !== req.headers.host) {
      conn.host = req.headers.host;
      conn.own = headLines(ownHeaders(req, conn.peer, false, trust, []));
    }
    head += conn.own;
  }
  return `${head}via: ${via(req.headers)}\r\n\r\n`;
}

/** Per client connection (raw path; an HTTP/2 session): its peer's address, whether it is a trusted proxy (a router's list is fixed), and its last Host's own forwarding headers. */
const connections = new WeakMap<object, { peer: string; trusted: boolean; host: string | undefined; own: string | undefined }>();

/** The client's headers that go upstream (hop-by-hop, forwarding and smuggling-prone ones dropped), flat. */
function clientHeaders(req: ClientRequest, trusted: boolean, upgrade: boolean): string[] {
  const listed = connectionTokens(req.headers.connection);
  const raw = req.rawHeaders;
  const out: string[] = [];
  const h2 = req.httpVersionMajor === 2;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || OWN.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    if (h2 && (name.charCodeAt(0) === 58 /* ':' pseudo-header */ || name === 'host')) continue;
    const c = name.charCodeAt(0);
    if ((c === 120 /* x */ || c === 102 /* f */) && isForwarding(name) && !(trusted && !REBUILT.has(name) && !name.includes('_'))) continue; // Port, Prefix, …
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (h2 && req.headers.host) out.push('host', req.headers.host); // from :authority (router.ts)
  if (upgrade && req.headers.upgrade !== undefined) out.push('connection', 'upgrade', 'upgrade', req.headers.upgrade);
  return out;
}

/** The router's forwarding headers for this hop (X-Forwarded-*, X-Real-IP, Forwarded), pushed onto out. */
function ownHeaders(req: ClientRequest, peer: string, trusted: boolean, trust: TrustedProxies, out: string[]): string[] {
  const h = req.headers;
  const scheme = 'encrypted' in req.socket ? 'https' : 'http';
  const hop = forwardedElement(peer, scheme, h.host);
  if (trusted) {
    const xff = headerValue(h['x-forwarded-for']);
    const forwarded = headerValue(h.forwarded);
    const host = first(h['x-forwarded-host']) ?? h.host;
    out.push('x-forwarded-for', xff ? `${xff}, ${peer}` : peer, 'x-forwarded-proto', first(h['x-forwarded-proto']) ?? scheme);
    if (host) out.push('x-forwarded-host', host);
    out.push('x-real-ip', trust.clientBehind(peer, xff), 'forwarded', forwarded ? `${forwarded}, ${hop}` : hop);
  } else {
    out.push('x-forwarded-for', peer, 'x-forwarded-proto', scheme);
    if (h.host) out.push('x-forwarded-host', h.host);
    out.push('x-real-ip', peer, 'forwarded', hop);
  }
  return out;
}

function via(h: ClientRequest['headers']): string {
  return h.via ? `${h.via}, ${VIA}` : VIA;
}

/** [name, value, …] as head lines. */
function headLines(flat: readonly string[]): string {
  let lines = '';
  for (let i = 0; i < flat.length; i += 2) lines += `${flat[i]!}: ${flat[i + 1]!}\r\n`;
  return lines;
}

/** The upstream response's raw [name, value, …] headers to send to the client, flat; h2: to an HTTP/2 client (H2_SINGLE once). */
export function clientResponseRawHeaders(raw: readonly string[], h2: boolean): string[] {
  let listed: Set<string> | undefined;
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') listed = connectionTokens(raw[i + 1]); // a name's case is copied only for this length
  }
  const out: string[] = [];
  let once: Map<string, number> | undefined; // HTTP/2: where each H2_SINGLE header is in out
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    if (name === 'via') {
      via = via === undefined ? raw[i + 1] : `${via}, ${raw[i + 1]!}`;
      continue;
    }
    if (h2 && H2_SINGLE.has(name)) {
      const at = (once ??= new Map()).get(name);
      if (at !== undefined) {
        out[at + 1] = raw[i + 1]!;
        continue;
      }
      once.set(name, out.length);
    }
    out.push(raw[i]!, raw[i + 1]!);
  }
  out.push('via', via ? `${via}, ${VIA}` : VIA);
  return out;
}

/** The upstream response headers to send to the client; h2: to an HTTP/2 client (H2_SINGLE once). */
export function clientResponseHeaders(headers: IncomingHttpHeaders, h2: boolean): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    const value = headers[name];
    out[name] = h2 && Array.isArray(value) && H2_SINGLE.has(name) ? value[value.length - 1] : value;
  }
  out.via = headers.via ? `${String(headers.via)}, ${VIA}` : VIA;
  return out;
}

function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length <= 10 && /^(?:keep-alive|close)$/i.test(value)) return undefined; // the usual values list no header
  const set = new Set<string>();
  for (const v of Array.isArray(value) ? value : [value]) {
    for (const token of v.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'close' && t !== 'keep-alive') set.add(t);
    }
  }
  return set.size ? set : undefined;
}

/** Forwarded, X-Real-IP or any X-Forwarded-*, also spelt with `_` (a lower-case name). */
function isForwarding(name: string): boolean {
  const n = name.includes('_') ? name.replaceAll('_', '-') : name;
  return n.startsWith('x-forwarded-') || n === 'x-real-ip' || n === 'forwarded';
}

/** This hop as a Forwarded element (RFC 7239 §4): for=, proto=, host=; IPv6 and non-token values quoted. */
function forwardedElement(ip: string, proto: string, host: string | undefined): string {
  const node = ip === '' ? 'unknown' : ip.includes(':') ? `"[${ip}]"` : ip;
  const element = `for=${node};proto=${proto}`;
  if (!host) return element;
  return `${element};host=${TOKEN.test(host) ? host : `"${host.replace(/["\\]/g, '\\$&')}"`}`;
}

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const comma = v?.indexOf(',') ?? -1;
  return (comma === -1 ? v : v!.slice(0, comma))?.trim() || undefined;
}
