// Headers across the proxy: hop-by-hop headers are dropped in both directions
// (RFC 9110 §7.6.1), X-Forwarded-For/-Proto/-Host and Via are set on the way in.
//
// Without trustProxy the client's own X-Forwarded-* are discarded (a client could
// otherwise forge its address); with it, the client IP is appended to the chain and
// the incoming proto/host are kept.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ClientRequest } from './client-exchange.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Set by the router itself, never copied from the client. `expect` is answered by the router. */
const OWN = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'via', 'expect']);
/** Never dropped because a Connection header lists them. */
const PROTECTED = new Set(['host', 'content-length']);
const VIA = '1.1 corral';

/** The request headers to send upstream, as a flat [name, value, …] list. */
export function upstreamRequestHeaders(req: ClientRequest, trustProxy: boolean, opts: { upgrade?: boolean } = {}): string[] {
  const listed = connectionTokens(req.headers.connection);
  const raw = req.rawHeaders;
  const out: string[] = [];
  const h2 = req.httpVersionMajor === 2;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || OWN.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    if (h2 && (name.charCodeAt(0) === 58 /* ':' pseudo-header */ || name === 'host')) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (h2 && req.headers.host) out.push('host', req.headers.host); // from :authority (router.ts)
  if (opts.upgrade && req.headers.upgrade !== undefined) out.push('connection', 'upgrade', 'upgrade', req.headers.upgrade);
  const h = req.headers;
  const clientIp = clientAddress(req);
  const xff = trustProxy && h['x-forwarded-for'] ? `${h['x-forwarded-for']}, ${clientIp}` : clientIp;
  const proto = (trustProxy && first(h['x-forwarded-proto'])) || ('encrypted' in req.socket ? 'https' : 'http');
  const host = (trustProxy && first(h['x-forwarded-host'])) || h.host;
  out.push('x-forwarded-for', xff, 'x-forwarded-proto', proto);
  if (host) out.push('x-forwarded-host', host);
  out.push('via', h.via ? `${h.via}, ${VIA}` : VIA);
  return out;
}

/** The raw fast path's request head: request line, forwarded headers, blank line. */
export function upstreamRequestHead(req: ClientRequest, trustProxy: boolean): string {
  const h = upstreamRequestHeaders(req, trustProxy);
  let head = `${req.method!} ${req.url!} HTTP/1.1\r\n`;
  for (let i = 0; i < h.length; i += 2) head += `${h[i]!}: ${h[i + 1]!}\r\n`;
  return `${head}\r\n`;
}

/** The upstream response's raw [name, value, …] headers to send to the client, flat. */
export function clientResponseRawHeaders(raw: readonly string[]): string[] {
  let listed: Set<string> | undefined;
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'connection') listed = connectionTokens(raw[i + 1]);
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    if (name === 'via') {
      via = via === undefined ? raw[i + 1] : `${via}, ${raw[i + 1]!}`;
      continue;
    }
    out.push(raw[i]!, raw[i + 1]!);
  }
  out.push('via', via ? `${via}, ${VIA}` : VIA);
  return out;
}

/** The upstream response headers to send to the client. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !PROTECTED.has(name))) continue;
    out[name] = headers[name];
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

function clientAddress(req: ClientRequest): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const comma = v?.indexOf(',') ?? -1;
  return (comma === -1 ? v : v!.slice(0, comma))?.trim() || undefined;
}
