// A site's maintenance mode and error pages (served by the router): patch merging and the
// checks a schema cannot say well — page size in UTF-8 bytes, which statuses may have a
// page, client addresses.

import { isIP } from 'node:net';
import { ERROR_PAGE_STATUSES, type ErrorPages, type Maintenance, type Site } from '../model/index.ts';
import { ValidationError } from './errors.ts';
import { fieldPath } from './validation-message.ts';

/** Largest page, in bytes of UTF-8. */
export const MAX_PAGE_BYTES = 65_536;

export interface MaintenanceInput {
  on?: boolean;
  page?: string;
  allowIps?: string[];
}

/** The stored maintenance with the input's fields replacing its own; an empty page or list removes it. */
export function mergeMaintenance(current: Maintenance | undefined, input: MaintenanceInput): Maintenance {
  const next: Maintenance = { ...current, on: input.on ?? current?.on ?? false };
  if (input.page === '') delete next.page;
  else if (input.page !== undefined) next.page = input.page;
  if (input.allowIps !== undefined) next.allowIps = input.allowIps.map((ip) => ip.toLowerCase());
  if (next.allowIps?.length === 0) delete next.allowIps;
  return next;
}

/** The stored pages with the input's merged in by status; an empty page removes one. Undefined when none is left. */
export function mergeErrorPages(current: ErrorPages | undefined, input: Record<string, string>): ErrorPages | undefined {
  const next: Record<string, string> = { ...current };
  for (const [status, page] of Object.entries(input)) {
    if (page === '') delete next[status];
    else next[status] = page;
  }
  return Object.keys(next).length > 0 ? (next as ErrorPages) : undefined;
}

/** Throws a ValidationError naming the field for a page too large, a status without pages or a bad address. */
export function checkSitePages(site: Pick<Site, 'maintenance' | 'errorPages'>): void {
  const m = site.maintenance;
  if (m?.page !== undefined) checkPageSize('body.maintenance.page', m.page);
  m?.allowIps?.forEach((ip, i) => checkAddress(`body.maintenance.allowIps[${i}]`, ip));
  for (const [status, page] of Object.entries(site.errorPages ?? {})) {
    if (!(ERROR_PAGE_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError(
        `${fieldPath('body', `/errorPages/${status}`)}: the router answers a site only with ${ERROR_PAGE_STATUSES.join(', ')}, so only those may have a page` +
          (status === '404' ? ' (its 404 is for hosts no site has; a site\'s own 404 comes from the site, e.g. a static site\'s 404.html)' : ''),
      );
    }
    checkPageSize(fieldPath('body', `/errorPages/${status}`), page);
  }
}

function checkPageSize(field: string, page: string): void {
  const bytes = Buffer.byteLength(page);
  if (bytes > MAX_PAGE_BYTES) throw new ValidationError(`${field} is ${bytes} bytes of UTF-8; a page may be at most ${MAX_PAGE_BYTES} (64 KiB)`);
}

/** An IPv4 or IPv6 address, or a CIDR block of either. */
function checkAddress(field: string, value: string): void {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const family = isIP(address);
  const bits = slash === -1 ? undefined : value.slice(slash + 1);
  const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
  if (family === 0 || !bitsOk) {
    throw new ValidationError(`${field} ${JSON.stringify(value)} must be an IP address (203.0.113.7, 2001:db8::7) or a CIDR block (203.0.113.0/24)`);
  }
}
