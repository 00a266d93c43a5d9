// The endpoints a policy may choose from for one try: not yet tried by this request and
// not ejected; if every untried one is ejected, those (an ejected endpoint may have
// recovered, and trying beats failing); if all were tried, all of them.

import type { Endpoint, Route } from '../../model/index.ts';
import { endpointKey, type Ejections } from './ejections.ts';

export function candidates(route: Route, tried: ReadonlySet<string> | undefined, ejections: Ejections): Endpoint[] {
  const healthy: Endpoint[] = [];
  const ejected: Endpoint[] = [];
  for (const ep of route.endpoints) {
    const key = endpointKey(ep);
    if (tried?.has(key)) continue;
    (ejections.isEjected(key) ? ejected : healthy).push(ep);
  }
  if (healthy.length > 0) return healthy;
  if (ejected.length > 0) return ejected;
  return [...route.endpoints];
}

/** FNV-1a, 32 bits: a fast, well-spread hash for keys and endpoint ids. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
