// Per-site HTTP → HTTPS redirect (Route.httpsRedirect): a plain-HTTP request gets a 308
// (method and body kept) to the same host and target on the router's HTTPS port.

import type { ClientReply, ClientRequest } from '../front/client-exchange.ts';
import { normalizeHost } from '../route-table.ts';

export function sendHttpsRedirect(req: ClientRequest, res: ClientReply, httpsPort: number): void {
  const host = normalizeHost(req.headers.host ?? '') ?? '';
  const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
  req.resume();
  res.writeHead(308, { location, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}
