// The request target (RFC 9112 §3.2): what reaches a site's servers is always origin-form
// ("/path?query"), and the route is chosen by the host the request names.
//   - origin-form: the chain looks at its first character (router.ts) and never calls here;
//   - absolute-form (RFC 9112 §3.2.2; forward proxies and some clients send it, and a server
//     MUST accept it) with scheme http or https, in any case: the target's authority
//     (host[:port]) replaces the Host header — a receiver MUST ignore Host then, so a Host
//     naming another site is no error — and the target becomes its path and query (`/`
//     when the path is empty). From here the request is as if sent in origin-form: the
//     route, the backend (request line and Host), the access log and the site's stats see
//     the path and the authority.
//   - anything else is a 400 naming what is wrong, and no client text: userinfo
//     (`http://user@host/`, whose `@` has hidden one host behind another), another scheme,
//     no authority, an authority that is not host[:port] (route-table.ts reads it); a Host
//     header beside an absolute target must still be a valid host[:port] (RFC 9112 §3.2: a
//     server MUST answer 400 to an invalid Host field value), as nginx has it too.
//   - asterisk-form (`OPTIONS * HTTP/1.1`): 400. It asks about the server as a whole, and
//     behind one address the router serves many sites with differing methods; it speaks
//     for none of them, and forwarding `*` would hand an application a target it reads as
//     a path (nginx also answers 400).
//   - HTTP/2: `:path` must be origin-form there (RFC 9113 §8.3.1). node:http2's nghttp2
//     resets a stream whose :path is neither a path nor OPTIONS's `*` (PROTOCOL_ERROR, the
//     RFC's answer to a malformed request) before the router sees it; what reaches here is
//     `*`, the 400 above.
// Two Host headers are refused before this (request-hygiene.ts), so the one Host there is
// is the one replaced; CONNECT's authority-form never comes here (501, router.ts).

import type { IncomingHttpHeaders } from 'node:http';
import { BadRequestError, type RouterError } from '../errors.ts';
import { normalizeHost } from '../route-table.ts';

/** What the target step reads and rewrites of a request, from either front. */
export interface TargetRequest {
  url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** [name, value, …] as received: what is forwarded (forward-headers.ts), so the Host is replaced here too. */
  readonly rawHeaders: string[];
  readonly httpVersionMajor: number;
}

/** `scheme://`, the scheme's name in group 1. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * Make a target that is not origin-form origin-form, in place: url and Host (headers and
 * rawHeaders) are rewritten for an absolute-form http(s) target; the error to answer with
 * (400) for any other target, the request then left as it came. Call only for a target
 * that does not start with `/`.
 */
export function toOriginForm(req: TargetRequest): RouterError | undefined {
  const target = req.url ?? '';
  if (target === '*') return new BadRequestError('asterisk-form (OPTIONS *) is not answered: the router speaks for no server as a whole; ask about a path (OPTIONS /path)');
  if (req.httpVersionMajor === 2) return new BadRequestError("HTTP/2's :path must be a path (RFC 9113 §8.3.1); the host goes in :authority");
  const scheme = SCHEME.exec(target);
  if (scheme === null) return new BadRequestError('the request target must be a path (/path) or an absolute http(s)://host[:port]/path URL');
  const name = scheme[1]!.toLowerCase();
  if (name !== 'http' && name !== 'https') return new BadRequestError("the request target's scheme must be http or https");
  const start = scheme[0].length;
  let end = start;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  const authority = target.slice(start, end);
  if (authority === '') return new BadRequestError('the request target has no host (http(s)://host[:port]/path)');
  if (authority.includes('@')) return new BadRequestError('the request target has userinfo (user@host), which is not accepted');
  if (normalizeHost(authority) === undefined) return new BadRequestError("the request target's host is not a valid host[:port]");
  const host = req.headers.host;
  if (host !== undefined && host !== '' && normalizeHost(host) === undefined) return new BadRequestError('the Host header is not a valid host[:port]');
  const rest = target.slice(end);
  req.url = rest === '' ? '/' : rest[0] === '?' ? `/${rest}` : rest;
  setHost(req, authority);
  return undefined;
}

/** The request's one Host (or none: HTTP/1.0) becomes host, in headers and rawHeaders alike. */
function setHost(req: TargetRequest, host: string): void {
  req.headers.host = host;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      raw[i + 1] = host;
      return;
    }
  }
  raw.push('Host', host);
}
