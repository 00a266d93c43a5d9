// Per-site HTTP → HTTPS redirect (Route.httpsRedirect): a plain-HTTP request gets a 308
// (method and body kept) to the same host and target on the router's HTTPS port; so does a
// plain-HTTP upgrade (a `ws://` WebSocket), which is never tunnelled in the clear: browsers
// fail such a handshake, so the page must use `wss://`.

import type { ClientReply, ClientRequest } from '../front/client-exchange.ts';
import { normalizeHost } from '../route-table.ts';
import { sendReply, type SiteReply } from './site-pages.ts';

export function sendHttpsRedirect(req: ClientRequest, res: ClientReply, httpsPort: number): void {
  req.resume();
  sendReply(res, httpsRedirect(req, httpsPort));
}

/** The 308 to the same host and target on the HTTPS port (an upgrade's is sent raw: site-pages.ts rawReply). */
export function httpsRedirect(req: Pick<ClientRequest, 'headers' | 'url'>, httpsPort: number): SiteReply {
  const host = normalizeHost(req.headers.host ?? '') ?? '';
  const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
  return { status: 308, headers: { location, 'content-length': '0', 'cache-control': 'no-store' }, body: '' };
}
