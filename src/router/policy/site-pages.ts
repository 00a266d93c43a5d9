// A site's maintenance mode and its own error pages (Route.maintenance, Route.errorPages,
// copied from the site by the reconciler). Pure functions of the route, shared by every
// front end (router.ts, error-response.ts: the route comes with the request's ErrorContext): they decide the answer,
// the caller writes it.
//
// A page only ever answers for its own site: the route is the one the Host matched, and
// the default maintenance page names only the domain the client asked for.

import { BlockList, isIP } from 'node:net';
import type { ClientReply } from '../front/client-exchange.ts';
import type { Maintenance, Route } from '../../model/index.ts';
import { normalizeHost } from '../route-table.ts';

/** A complete answer: status, headers (content-length included) and body. */
export interface SiteReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a client in maintenance is told to wait before trying again. */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 120;

/** Where a site's page has it, the error id goes here. */
export const ERROR_ID_PLACEHOLDER = '{{errorId}}';

/**
 * The 503 for a site in maintenance, or undefined when the request goes on: the site is not
 * in maintenance, or the client's address is in its allowIps. `host` (the request's Host)
 * names the domain on the default page.
 */
export function maintenanceReply(route: Route, clientIp: string | undefined, host?: string): SiteReply | undefined {
  const m = route.maintenance;
  if (m?.on !== true) return undefined;
  if (clientIp !== undefined && isAllowed(m, clientIp)) return undefined;
  const body = typeof m.page === 'string' ? m.page : defaultMaintenancePage(domainFor(route, host));
  return {
    status: 503,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'retry-after': String(MAINTENANCE_RETRY_AFTER_SECONDS),
      'x-content-type-options': 'nosniff', // as every error answer (error-response.ts)
    },
    body,
  };
}

/** The site's own page for a status the router answers with, `{{errorId}}` filled in; undefined without one. */
export function customErrorPage(route: Route | undefined, status: number, errorId: string): string | undefined {
  const page = (route?.errorPages as Record<string, unknown> | undefined)?.[String(status)];
  return typeof page === 'string' ? page.split(ERROR_ID_PLACEHOLDER).join(errorId) : undefined;
}

/** A reply as HTTP/1.1 bytes, for a raw socket (an upgrade request), with `connection: close`. */
export function rawReply(reply: SiteReply, statusText: string): string {
  const head = Object.entries({ ...reply.headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${reply.status} ${statusText}\r\n${head}\r\n${reply.body}`;
}

/** Answer with a reply from this file (e.g. maintenance). */
export function sendReply(res: ClientReply, reply: SiteReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

// One BlockList per maintenance record (a route's records are replaced, never changed).
const allowLists = new WeakMap<Maintenance, BlockList>();

function isAllowed(m: Maintenance, ip: string): boolean {
  if (!Array.isArray(m.allowIps) || m.allowIps.length === 0) return false;
  let list = allowLists.get(m);
  if (list === undefined) {
    list = allowList(m.allowIps);
    allowLists.set(m, list);
  }
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

function allowList(entries: readonly unknown[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    if (typeof entry !== 'string') continue;
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32)) list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** The domain the client asked for (it matched this route), else the site's first plain domain. */
function domainFor(route: Route, host: string | undefined): string {
  const asked = host === undefined ? undefined : normalizeHost(host);
  return asked ?? route.domains.find((d) => !d.startsWith('*.')) ?? route.domains[0]?.slice(2) ?? '';
}

function defaultMaintenancePage(domain: string): string {
  const name = escapeHtml(domain);
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${name} is down for maintenance</title></head>\n` +
    `<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em">` +
    `<h1>${name} is down for maintenance</h1><p>We will be back shortly. Please try again in a few minutes.</p></body></html>\n`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
