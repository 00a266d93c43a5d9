// After a restart `corral up` says "Corral is up." only once the sites that were serving
// before serve again (or a deadline passes): their virtual servers start anew, and until
// the first is ready the router can only answer 503. A site serves when its route has an
// endpoint and the router itself no longer answers for it with its own 503 (a router
// worker gets its table over IPC, a moment after the store); sites without a release or
// with no replicas, and sites in maintenance (the router answers 503 for them on purpose),
// are not waited for.

import { keys, readRoute, type Site } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { waitFor } from '../lib/wait.ts';
import { request } from 'node:http';

/**
 * Names of the sites that should serve but whose route has no endpoint yet (or, with a
 * router URL, that the router still answers 503 for). `served`: sites already seen serving,
 * not asked again (each ask reaches the app once the site serves); those found now are added.
 */
export async function sitesNotServing(store: Store, routerUrl?: string, served = new Set<string>()): Promise<string[]> {
  const [sitesKv, routes] = await Promise.all([store.range(keys.sites), store.range(keys.routes)]);
  // a route record the router cannot use serves nothing (readRoute: the router's own reading)
  const endpoints = new Map(routes.kvs.flatMap((kv) => {
    const r = readRoute(kv.value).route;
    return r ? [[r.site, r.endpoints.length] as const] : [];
  }));
  const sites = sitesKv.kvs
    .map((kv) => JSON.parse(kv.value) as Site)
    // a site that may scale to zero may rightly have no server (it wakes on a request)
    .filter((s) => s.release !== undefined && s.replicas > 0 && s.maintenance?.on !== true && s.autoscale?.minReplicas !== 0);
  const waiting: string[] = [];
  for (const s of sites) {
    const routed = (endpoints.get(s.name) ?? 0) > 0;
    const host = s.domains.find((d) => !d.startsWith('*.'));
    if (served.has(s.name)) continue;
    if (!routed || (routerUrl !== undefined && host !== undefined && await routerRefuses(routerUrl, host))) waiting.push(s.name);
    else served.add(s.name);
  }
  return waiting.sort();
}

/**
 * The router answers the host with its own 503 (no ready endpoint yet), not the site's
 * answer. Once the site serves, this HEAD reaches its app like any request: the router
 * drops a client's X-Corral-Health, so it says who it is by its user agent only.
 */
function routerRefuses(routerUrl: string, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(new URL('/', routerUrl), { method: 'HEAD', headers: { host, 'user-agent': 'corral-up/1 (restart check)' }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 503 && res.headers['x-corral-error-id'] !== undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(true));
    req.end();
  });
}

/** Waits until every site that should serve does, or timeoutMs, or signal aborts; returns those still waiting. */
export async function untilSitesServing(store: Store, routerUrl: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  let waiting: string[] = [];
  const served = new Set<string>();
  await waitFor(async () => (waiting = await sitesNotServing(store, routerUrl, served)).length === 0, { timeoutMs, intervalMs: 50, what: 'sites serving', ...(signal ? { signal } : {}) })
    .catch(() => undefined);
  return waiting;
}
