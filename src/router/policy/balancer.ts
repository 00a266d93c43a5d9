// Round robin over a site's endpoints. Prefers endpoints not yet tried by this request
// and not ejected; if every untried endpoint is ejected it tries one anyway (an ejected
// endpoint may have recovered, and trying beats failing); if all were tried it starts
// over. The per-site position survives route swaps.

import type { Endpoint, Route } from '../../model/index.ts';
import { endpointKey, type Ejections } from './ejections.ts';

export class RoundRobin {
  readonly #next = new Map<string, number>();
  readonly #ejections: Ejections;

  constructor(ejections: Ejections) {
    this.#ejections = ejections;
  }

  pick(route: Route, tried?: ReadonlySet<string>): Endpoint | undefined {
    const eps = route.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    const start = this.#next.get(route.site) ?? 0;
    let fallback = -1;
    let found = -1;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const key = endpointKey(eps[idx]!);
      if (tried?.has(key)) continue;
      if (!this.#ejections.isEjected(key)) {
        found = idx;
        break;
      }
      if (fallback === -1) fallback = idx;
    }
    if (found === -1) found = fallback !== -1 ? fallback : start % n;
    this.#next.set(route.site, (found + 1) % n);
    return eps[found];
  }

  /** Forget sites that are no longer routed. */
  retain(sites: ReadonlySet<string>): void {
    for (const site of this.#next.keys()) if (!sites.has(site)) this.#next.delete(site);
  }
}
