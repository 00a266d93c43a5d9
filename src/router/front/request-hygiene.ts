// What the router refuses beyond node's strict parser (llhttp, never in lenient mode).
// Everything else in smuggling-corpus.ts is already refused by the parser;
// request-hygiene.test.ts proves both.
//
// Before routing (hygieneError), whatever Host it names, so that no site's table decides
// whether a request that is not to be trusted is refused:
//   - two Host headers: node keeps the first and passes both on in rawHeaders, so a
//     backend could route by the other one;
//   - more header fields than maxRequestHeaders (431): node:http keeps the first 1000 of a
//     request and drops the rest without a word (Content-Length too: the body would be
//     forwarded as none), and each is work for every hop;
//   - an Expect other than 100-continue (417): node:http answered it itself, without the
//     chain, an error id or closing the connection.
// HTTP/2's `:authority` and a `host` header naming different hosts are not refused,
// although RFC 9113 §8.3.1 says a server SHOULD: h2load and nghttp send both when told
// `-H 'host: …'` (curl turns it into :authority; browsers send :authority alone), and the
// host header is what their user asked for. The router routes by it and forwards it as
// the one Host (router.ts): no pseudo-header reaches the app, so it reads what was routed.
// (CONNECT is refused before these, 501: the router is no forward proxy; router.ts.)
// Where no route matched (noRouteError): a Host that is not host[:port] (RFC 9112 §3.2)
// is a 400, not an unknown site. At the front (refusedAtFront): an HTTP/1.0 message with
// Transfer-Encoding (RFC 9112 §6.1), whose framing cannot be trusted.

import type { ClientRequest } from './client-exchange.ts';
import { BadRequestError, ExpectationFailedError, TooManyHeadersError, UnknownHostError, type RouterError } from '../errors.ts';
import { normalizeHost } from '../route-table.ts';

export function hygieneError(req: ClientRequest, maxHeaders: number): RouterError | undefined {
  const raw = req.rawHeaders;
  if (raw.length > maxHeaders * 2 && fieldCount(raw) > maxHeaders) return new TooManyHeadersError(maxHeaders);
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return new BadRequestError('more than one Host header');
  const expect = req.headers.expect;
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') return new ExpectationFailedError();
  return undefined;
}

/** Header fields, HTTP/2's pseudo-headers (`:path` …) not counted. */
function fieldCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) n++;
  return n;
}

/**
 * The answer for a Host that no route matched: 400 when it is not host[:port] at all (a
 * reg-name, IPv4 or [IPv6] as route-table.ts reads them, port digits only; e.g. `a b`,
 * `a,b`, `x/evil`, `user@host`, `host:abc`), so that no client text is echoed as a host
 * name; else 404 naming it (none: no Host).
 */
export function noRouteError(host: string | undefined): RouterError {
  if (host !== undefined && host !== '' && normalizeHost(host) === undefined) return new BadRequestError('the Host header is not a valid host[:port]');
  return new UnknownHostError(host ?? '');
}

/**
 * What either front refuses with 400 and closes the connection on, whatever follows it: a
 * request line of another version than 1.0 or 1.1 (llhttp also reads 0.9 and 2.0 ones),
 * and an HTTP/1.0 request with Transfer-Encoding (RFC 9112 §6.1): HTTP/1.0 has no chunked
 * framing, so where its body ends, and the next request begins, is not to be trusted.
 */
export function refusedAtFront(major: number, minor: number, raw: readonly string[]): boolean {
  if (major !== 1 || minor > 1) return true;
  if (minor !== 0) return false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}
