// The upstream response's status and headers, written into the client's reply: one place
// for both upstreams. What the client's protocol cannot carry fails the try instead of
// throwing: node:http2 throws on a status outside 100–599 and on a header it refuses, and
// a throw from inside the response parser's or undici's callback took the router worker
// down (the raw upstream), or every stream of the client's connection (undici). The
// headers come from forward-headers.ts, which already leaves out what HTTP/2 refuses; the
// catch is for whatever a future Node refuses too.

import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientReply } from '../front/client-exchange.ts';

export interface HeadRefused {
  err: Error;
  /** The reply was destroyed (node threw with the headers half taken): no error page, no retry. */
  cut: boolean;
}

/** Write the head (statusCode ≥ 200); undefined when written, else why not. */
export function relayHead(res: ClientReply, statusCode: number, headers: OutgoingHttpHeaders | string[]): HeadRefused | undefined {
  if (statusCode > 599 && res.req.httpVersionMajor === 2) {
    return { err: refused(`the upstream answered status ${statusCode}, which HTTP/2 cannot carry`), cut: false };
  }
  try {
    res.writeHead(statusCode, headers);
    return undefined;
  } catch (cause) {
    const err = refused(`the client's protocol cannot carry the upstream's response head: ${(cause as Error).message}`, cause);
    res.destroy(err);
    return { err, cut: true };
  }
}

function refused(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code: 'ROUTER_UPSTREAM_HEAD_REFUSED' });
}
