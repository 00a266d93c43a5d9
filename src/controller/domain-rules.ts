// Which domains a site may claim. A name is refused for everyone when it can never be one
// customer's: `localhost` and every name under it, an IP literal in any notation the URL
// parser or inet_aton would read as an address, a single label, a public suffix (ICANN
// and private sections of the list, e.g. `co.uk`, `github.io`) or a wildcard directly over
// one (`*.com`, `*.co.uk`). Refused for customers only (an admin may give them to a site):
// the farm's own names and the operator's reserved list, where `x` is that name and `*.x`
// every name below x, with the overlap rules of domain-overlap.ts (so `*.example` is
// refused when `a.example` is reserved).

import { isIP } from 'node:net';
import { getPublicSuffix } from 'tldts';
import { domainsOverlap } from './domain-overlap.ts';

/** The farm's domain policy, built once from the controller's options. */
export interface DomainRules {
  /** Normalised names customers may not claim: the farm's own and the operator's list. */
  readonly reserved: readonly string[];
}

export type Claimant = 'admin' | 'customer';

/** The rules for a reserved list; throws on an entry that is not a hostname (or `*.` one). */
export function domainRules(reserved: readonly string[] = []): DomainRules {
  const names = reserved.map((entry) => {
    const name = normalise(entry);
    if (!isHostname(name)) throw new Error(`reserved domain ${JSON.stringify(entry)} is not a hostname such as farm.example.com or *.example.com`);
    return name;
  });
  return Object.freeze({ reserved: Object.freeze([...new Set(names)]) });
}

/** The host names among listen addresses and URLs (addresses are left out: no site may claim them anyway). */
export function hostNamesOf(hostsOrUrls: readonly (string | undefined)[]): string[] {
  const names: string[] = [];
  for (const value of hostsOrUrls) {
    if (value === undefined) continue;
    let host = value;
    try {
      if (value.includes('://')) host = new URL(value).hostname;
    } catch {
      continue;
    }
    const name = normalise(host);
    if (!isIpLiteral(name) && isHostname(name) && !name.startsWith('*.')) names.push(name);
  }
  return names;
}

/** Why `domain` may not be claimed by the claimant, or undefined when it may. */
export function domainRefusal(domain: string, rules: DomainRules, claimant: Claimant): string | undefined {
  const name = normalise(domain);
  if (isIpLiteral(name)) return 'it is an IP address; a site is reached by a host name';
  if (!isHostname(name)) return 'it is not a host name';
  const base = name.startsWith('*.') ? name.slice(2) : name;
  if (base === 'localhost' || base.endsWith('.localhost')) return 'localhost and the names under it are this machine';
  if (name === base && !base.includes('.')) return 'a single label is not a domain of its own; use a full name such as www.example.com';
  const suffix = getPublicSuffix(base, { allowPrivateDomains: true, extractHostname: false });
  if (suffix === base) {
    return name === base
      ? `it is a public suffix (${suffix}): the names under it belong to different owners`
      : `a wildcard over the public suffix ${suffix} would take the names of every owner under it`;
  }
  if (claimant === 'customer' && rules.reserved.some((r) => domainsOverlap(name, r))) return 'it is reserved by the farm';
  return undefined;
}

/** IPv6 (bare or bracketed), IPv4 in any notation: a last label that is a number (`1`, `0x7f`, `0177`) makes the URL parser read the host as an address. */
export function isIpLiteral(name: string): boolean {
  if (name.includes(':') || name.startsWith('[')) return true;
  if (isIP(name) !== 0) return true;
  const labels = name.split('.');
  if (/^(?:[0-9]+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1] ?? '')) return true;
  try {
    const parsed = new URL(`http://${name}/`).hostname;
    return parsed.startsWith('[') || isIP(parsed) !== 0;
  } catch {
    return false;
  }
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function isHostname(name: string): boolean {
  const base = name.startsWith('*.') ? name.slice(2) : name;
  return base.length > 0 && name.length <= 253 && base.split('.').every((label) => LABEL.test(label));
}

/** Host names compare without case and without the root's trailing dot. */
function normalise(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}
