// What `corral up` tells the operator while it runs: one plain line per meaningful event,
// read from the store — a change made through the API (the audit trail, e.g. a release
// uploaded, a site scaled), a farm event (a VS crashed, was OOM-killed or unhealthy, an
// engine lost, a failover) and a site's traffic moving to another release or number of VSs (its route).
// The JSON logs go to <dir>/logs/corral.log; this is the human side.

import { keyName, keys, readRoute, type FarmEvent, type Route } from '../model/index.ts';
import type { Store } from '../store/index.ts';

export async function watchFarmFeed(store: Store, say: (line: string) => void, now: () => Date = () => new Date()): Promise<() => void> {
  const from = (await store.revision()) + 1;
  // site → what it serves, the lines shared: most sites of a farm say the same ("serving
  // release v1 on 1 virtual server"), and a copy per site was ≈ 2 MB at 10,000 sites
  const serving = new Map<string, string>();
  const said = new Map<string, string>();
  const servingLine = (route: Route): string => {
    const line = servingOf(route);
    const known = said.get(line);
    if (known !== undefined) return known;
    if (said.size >= 1_000) said.clear(); // bounded: the next line of each kind is kept again
    said.set(line, line);
    return line;
  };
  for (const kv of (await store.range(keys.routes)).kvs) {
    const route = readRoute(kv.value).route; // one the router cannot use serves nothing: no line for it
    if (route) serving.set(keyName(kv.key), servingLine(route));
  }
  const stamp = (line: string) => say(`${now().toTimeString().slice(0, 8)}  ${line}`);

  const events = await store.watch(keys.events, (evs) => {
    for (const ev of evs) if (ev.type === 'put') {
      const line = eventLine(JSON.parse(ev.kv.value) as FarmEvent);
      if (line) stamp(line);
    }
  }, { fromRevision: from });
  const routes = await store.watch(keys.routes, (evs) => {
    for (const ev of evs) {
      const site = keyName(ev.kv.key);
      if (ev.type === 'delete') {
        if (serving.delete(site)) stamp(`${site}: no longer routed`);
        continue;
      }
      const route = readRoute(ev.kv.value).route;
      if (!route) continue;
      const now = servingLine(route);
      if (serving.get(site) === now) continue;
      serving.set(site, now);
      stamp(`${site}: ${now}`);
    }
  }, { fromRevision: from });
  return () => {
    events.close();
    routes.close();
  };
}

/** The operator's line for an event, or undefined for one not worth a line (reads, refused calls are in the log). */
export function eventLine(e: FarmEvent): string | undefined {
  if (e.type === 'farm') {
    const mark = ['engine.joined', 'engine.stopped', 'vs.recovered', 'cert.issued', 'cert.renewed'].includes(e.action) || e.action.startsWith('scale.') ? '' : '! ';

    return `${mark}${e.message ?? e.action}`;
  }
  const what = `${e.action} ${e.target ?? ''}`.trim();
  const detail = e.message ? ` (${e.message})` : '';
  if (e.result === 'error') return (e.status ?? 0) >= 500 ? `! ${what} failed with ${String(e.status)} (by ${e.principal ?? '?'})` : undefined;
  return `${what}${detail} by ${e.principal ?? '?'}`;
}

function servingOf(r: Route): string {
  if (r.maintenance?.on) return 'in maintenance';
  if (r.endpoints.length === 0 && r.idle) return 'idle: no virtual server (scaled to zero; the next request wakes it)';
  if (r.endpoints.length === 0) return 'no virtual server ready (answers 503)';
  const releases = [...new Set(r.endpoints.map((e) => e.release))];
  const n = r.endpoints.length;
  return `serving release ${releases.join(' + ')} on ${n} virtual server${n === 1 ? '' : 's'}`;
}
