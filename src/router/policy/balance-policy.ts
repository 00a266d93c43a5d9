// Balancing per site (Route.balance): one pick() for every policy, chosen per route.
//   round-robin  in turn (balancer.ts; the default)
//   least-conn   fewest requests in flight through this router process, ties in turn
//   weighted     smooth weighted round robin (nginx's): weight w gets w shares, interleaved
//   sticky       a cookie names the endpoint; without a usable one, round robin + Set-Cookie
//   hash         rendezvous (highest-random-weight) hashing of the client IP, a header or a
//                cookie: a key keeps its endpoint, and an endpoint leaving moves only its keys
// Every policy skips endpoints this request already tried and prefers ones not ejected.

import type { ClientRequest } from '../front/client-exchange.ts';
import type { Endpoint, Route } from '../../model/index.ts';
import { RoundRobin } from './balancer.ts';
import { candidates, fnv1a } from './balance-candidates.ts';
import { endpointKey, type Ejections } from './ejections.ts';
import { InFlight } from './in-flight.ts';

export interface Pick {
  ep: Endpoint;
  /** A Set-Cookie value to add to the response (sticky, on a new or broken stickiness). */
  setCookie?: string;
}

export const STICKY_COOKIE = 'corral_sticky';

export class Balancers {
  readonly inFlight = new InFlight();
  readonly #rr: RoundRobin;
  readonly #ejections: Ejections;
  readonly #weighted = new Map<string, Map<string, number>>();

  constructor(ejections: Ejections) {
    this.#ejections = ejections;
    this.#rr = new RoundRobin(ejections);
  }

  pick(route: Route, tried: ReadonlySet<string> | undefined, req: ClientRequest): Pick | undefined {
    const b = route.balance;
    if (b === undefined || b.policy === 'round-robin') return wrap(this.#rr.pick(route, tried));
    const eps = candidates(route, tried, this.#ejections);
    if (eps.length === 0) return undefined;
    switch (b.policy) {
      case 'least-conn':
        return { ep: this.#leastConn(route, eps) };
      case 'weighted':
        return { ep: this.#weightedPick(route, eps) };
      case 'sticky':
        return this.#sticky(route, eps, req, b.key ?? STICKY_COOKIE);
      case 'hash': {
        const key = hashKey(req, b.hashOn ?? 'ip', b.key);
        return key === undefined ? wrap(this.#rr.pick(route, tried)) : { ep: rendezvous(eps, key) };
      }
    }
  }

  /** Forget sites that are no longer routed. */
  retain(sites: ReadonlySet<string>): void {
    this.#rr.retain(sites);
    for (const site of this.#weighted.keys()) if (!sites.has(site)) this.#weighted.delete(site);
  }

  #leastConn(route: Route, eps: Endpoint[]): Endpoint {
    const start = this.#rr.pick({ ...route, endpoints: eps })!; // rotates ties
    let best = start;
    let least = this.inFlight.count(endpointKey(start));
    for (const ep of eps) {
      const n = this.inFlight.count(endpointKey(ep));
      if (n < least) [best, least] = [ep, n];
    }
    return best;
  }

  #weightedPick(route: Route, eps: Endpoint[]): Endpoint {
    let current = this.#weighted.get(route.site);
    if (current === undefined) this.#weighted.set(route.site, (current = new Map()));
    let total = 0;
    let best: Endpoint | undefined;
    let bestWeight = -Infinity;
    for (const ep of eps) {
      const w = route.balance?.weights?.[ep.vs] ?? 1;
      total += w;
      const cw = (current.get(ep.vs) ?? 0) + w;
      current.set(ep.vs, cw);
      if (cw > bestWeight) [best, bestWeight] = [ep, cw];
    }
    current.set(best!.vs, bestWeight - total);
    return best!;
  }

  #sticky(route: Route, eps: Endpoint[], req: ClientRequest, cookie: string): Pick {
    const wanted = cookieValue(req, cookie);
    if (wanted !== undefined) {
      const ep = eps.find((e) => stickyId(e) === wanted);
      if (ep) return { ep };
    }
    const ep = this.#rr.pick({ ...route, endpoints: eps })!;
    return { ep, setCookie: `${cookie}=${stickyId(ep)}; Path=/; HttpOnly; SameSite=Lax` };
  }
}

/** The opaque id a sticky cookie carries: no address or VS name leaks to the client. */
export function stickyId(ep: Endpoint): string {
  return fnv1a(`${endpointKey(ep)}|${ep.vs}`).toString(36);
}

function rendezvous(eps: Endpoint[], key: string): Endpoint {
  let best = eps[0]!;
  let top = -1;
  for (const ep of eps) {
    const score = fnv1a(`${key}|${ep.vs}`);
    if (score > top) [best, top] = [ep, score];
  }
  return best;
}

function hashKey(req: ClientRequest, on: 'ip' | 'header' | 'cookie', name: string | undefined): string | undefined {
  if (on === 'ip') return req.socket.remoteAddress;
  if (name === undefined) return undefined;
  if (on === 'cookie') return cookieValue(req, name);
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

export function cookieValue(req: ClientRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function wrap(ep: Endpoint | undefined): Pick | undefined {
  return ep === undefined ? undefined : { ep };
}
