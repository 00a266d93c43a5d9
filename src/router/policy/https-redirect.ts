// Per-site HTTP → HTTPS redirect (Route.httpsRedirect): a plain-HTTP request gets a 308
// (method and body kept) to the same host and target on the router's HTTPS port; so does a
// plain-HTTP upgrade (a `ws://` WebSocket), which is never tunnelled in the clear: browsers
// fail such a handshake, so the page must use `wss://`.

import type { ClientReply, ClientRequest } from '../front/client-exchange.ts';
import { normalizeHost } from '../route-table.ts';

export function sendHttpsRedirect(req: ClientRequest, res: ClientReply, httpsPort: number): void {
  req.resume();
  res.writeHead(308, { location: httpsLocation(req, httpsPort), 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

/** The same upgrade's 308 as raw bytes, the connection closed after it. */
export function rawHttpsRedirect(req: Pick<ClientRequest, 'headers' | 'url'>, httpsPort: number): string {
  return `HTTP/1.1 308 Permanent Redirect\r\nlocation: ${httpsLocation(req, httpsPort)}\r\ncontent-length: 0\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`;
}

function httpsLocation(req: Pick<ClientRequest, 'headers' | 'url'>, httpsPort: number): string {
  const host = normalizeHost(req.headers.host ?? '') ?? '';
  return `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
}
