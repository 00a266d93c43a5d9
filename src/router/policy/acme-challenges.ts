// ACME challenges on the router. The leading controller writes each pending challenge once
// under keys.acmeChallenges; the route watch (watch-routes.ts) loads them with the routes
// and hangs each on its own site's route (Route.acme), so every router process, worker and
// router node gets them with the table. A challenge is answered only for its own site:
// HTTP-01 through a Host that is one of that site's domains, TLS-ALPN-01 for a domain of
// that site (tls-certificates.ts); a record naming a domain its site does not route is
// dropped, so no site can answer for another's name.

import type { Logger } from '../../lib/log.ts';
import type { AcmeChallengeRecord, Route, RouteAcme } from '../../model/index.ts';
import type { KeyValue } from '../../store/types.ts';
import type { ClientReply, ClientRequest } from '../front/client-exchange.ts';

export const ACME_HTTP01_PREFIX = '/.well-known/acme-challenge/';

/** A challenge record from the store, or undefined (logged) when it is not one. */
export function parseChallenge(kv: KeyValue, log: Logger): AcmeChallengeRecord | undefined {
  try {
    const v = JSON.parse(kv.value) as Partial<AcmeChallengeRecord>;
    if (typeof v.site === 'string' && typeof v.domain === 'string') {
      if (v.type === 'http-01' && typeof v.token === 'string' && typeof v.keyAuthorization === 'string') return v as AcmeChallengeRecord;
      if (v.type === 'tls-alpn-01' && typeof v.cert === 'string' && typeof v.key === 'string') return v as AcmeChallengeRecord;
    }
  } catch {
    // fall through
  }
  log.warn({ event: 'acme.bad-record', key: kv.key }, 'ignoring an ACME challenge record that is not valid');
  return undefined;
}

/** The routes with each site's pending challenges on it (only for domains that route names). */
export function withChallenges(routes: readonly Route[], challenges: readonly AcmeChallengeRecord[]): Route[] {
  if (challenges.length === 0) return [...routes];
  const bySite = new Map<string, AcmeChallengeRecord[]>();
  for (const c of challenges) bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  return routes.map((r) => {
    const mine = bySite.get(r.site);
    if (!mine) return r;
    const domains = new Set(r.domains.map((d) => d.toLowerCase()));
    const acme: RouteAcme = {};
    for (const c of mine) {
      if (!domains.has(c.domain.toLowerCase())) continue;
      if (c.type === 'http-01') (acme.http01 ??= {})[c.token!] = c.keyAuthorization!;
      else (acme.tlsAlpn01 ??= {})[c.domain.toLowerCase()] = { cert: c.cert!, key: c.key! };
    }
    return acme.http01 || acme.tlsAlpn01 ? { ...r, acme } : r;
  });
}

/** The key authorization to answer for this request on route, if it asks for one the route holds. */
export function http01Answer(route: Route | undefined, url: string): string | undefined {
  const tokens = route?.acme?.http01;
  if (!tokens || !url.startsWith(ACME_HTTP01_PREFIX)) return undefined;
  const token = url.slice(ACME_HTTP01_PREFIX.length);
  return Object.hasOwn(tokens, token) ? tokens[token] : undefined;
}

/** 200 with the key authorization as the body (RFC 8555 §8.3). */
export function sendHttp01Answer(req: ClientRequest, res: ClientReply, keyAuthorization: string): void {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(keyAuthorization), 'cache-control': 'no-store' });
  res.end(keyAuthorization);
}
