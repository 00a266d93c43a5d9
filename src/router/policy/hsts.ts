// Per-site HTTP Strict Transport Security (Route.hsts, RFC 6797): the header is added to
// every response of the site sent over HTTPS — proxied ones and the router's own answers
// alike — and never over plain HTTP (browsers ignore it there). It replaces a backend's
// own Strict-Transport-Security: the site's setting is the policy.

import type { OutgoingHttpHeaders } from 'node:http';
import type { Hsts } from '../../model/index.ts';
import type { ClientReply } from '../front/client-exchange.ts';

const NAME = 'strict-transport-security';

/** The header's value: `max-age=N[; includeSubDomains][; preload]`. */
export function hstsValue(h: Hsts): string {
  return `max-age=${h.maxAgeSeconds}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}

/**
 * Make every writeHead of this one reply carry the header, whichever front made the reply
 * (raw, node:http or HTTP/2) and whether headers come as an object or a flat list. Only
 * this reply's writeHead is wrapped, so sites without HSTS pay nothing.
 */
export function addHsts(res: ClientReply, value: string): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ClientReply, status: number, headers?: OutgoingHttpHeaders | string[]) {
    return writeHead.call(this, status, withHeader(headers, value));
  };
}

function withHeader(headers: OutgoingHttpHeaders | readonly string[] | undefined, value: string): OutgoingHttpHeaders | string[] {
  if (headers === undefined) return { [NAME]: value };
  if (Array.isArray(headers)) {
    const flat: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== NAME) flat.push(headers[i]!, headers[i + 1]!);
    flat.push(NAME, value);
    return flat;
  }
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== NAME) out[k] = v;
  out[NAME] = value;
  return out;
}
