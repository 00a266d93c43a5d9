// A site's certificate mode. Unset, it is 'auto' (ACME) unless every domain is one no
// public CA can validate: under .test, .localhost or .local, or an IP address, or a name
// reserved for documentation (RFC 2606: .example, .invalid, example.com/.net/.org);
// those get 'off' (the router's default certificate). A mode set on the site always wins, so a farm
// whose CA can reach such names (a test CA, an internal one) can still ask for 'auto'.

import { isIP } from 'node:net';
import type { Site, TlsMode } from './records.ts';

const LOCAL_SUFFIXES = ['.test', '.localhost', '.local', '.example', '.invalid'];
const DOCUMENTATION = ['example.com', 'example.net', 'example.org'];

export function tlsModeOf(site: Pick<Site, 'tls' | 'domains'>): TlsMode {
  if (site.tls) return site.tls;
  return site.domains.some(isPublicName) ? 'auto' : 'off';
}

function isPublicName(domain: string): boolean {
  const name = domain.toLowerCase().replace(/\.$/, '');
  if (isIP(name) !== 0 || name === 'localhost') return false;
  return !LOCAL_SUFFIXES.some((s) => name.endsWith(s)) && !DOCUMENTATION.some((d) => name === d || name.endsWith(`.${d}`));
}

/** The names an ACME order for the site covers: every domain when 'auto' is set, else (the default) its public ones. */
export function acmeNames(site: Pick<Site, 'tls' | 'domains'>): string[] {
  if (tlsModeOf(site) !== 'auto') return [];
  const names = site.tls === 'auto' ? site.domains : site.domains.filter(isPublicName);
  return [...new Set(names.map((d) => d.toLowerCase()))].sort();
}
