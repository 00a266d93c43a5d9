// A router drops an endpoint as soon as the store says it is gone — its VS status is no
// longer 'ready', or vanished with its engine's lease — without waiting for the
// reconciler to publish a new route (a router node of a farm on etcd, and `corral up`). Sits between watchRoutes and the
// router: routes in, filtered routes out. A status change re-filters the sites routing that
// VS only (an index VS → its routed endpoints and their sites), a route update its sites;
// an engine coming or going, every site.
// If filtering would leave a route with no endpoint, the route passes unfiltered (the
// router's own retries and passive ejection still apply): a stale view never empties it.
//
// An endpoint whose VS status vanished (deleted, or expired with its engine's lease), whose
// engine's registration vanished, or whose process has exited (crashed, backoff, stopped)
// is dead, not just unready: a host gone silent sends no reset, and neither does a guest
// whose network namespace is torn down while its last bytes wait for a slow client's
// window (the router's socket then hears nothing), so the requests in flight to it would
// wait for their timeouts (the body's: 5 minutes). The router is told (abandonEndpoints,
// once: when a routed endpoint's VS stops running) to cut them now: replayable ones are
// retried on another endpoint, the others answered 502 or cut. An endpoint merely not
// ready (starting, unhealthy, stopping) is only dropped; its requests finish.
// An endpoint that left every route while its VS ran (a drain, or the reconciler's new route
// for a crash arriving before the status that says so: two watches, no order between them)
// is remembered until its VS stops running, and cut then like a routed one: its requests in
// flight cannot finish once its process has exited either.
//
// On one machine (`corral up`, vanishedIsDead false) only an exited status is death: its
// engine runs in the same process, and its lease (and with it every VS status) lapses
// only when that process stalled or the machine slept past it — the VSs did not stop,
// and cutting every download and WebSocket on the machine for it would be the harm.

import type { Logger } from '../lib/log.ts';
import { keys, type Endpoint, type EngineRecord, type Route, type VsStatus } from '../model/index.ts';
import type { Store, Watcher } from '../store/index.ts';
import { watchPrefix, type RouteDiff, type RouteSink } from '../router/follow.ts';

/** The router (or router cluster) behind: routes, and endpoints known dead. */
export interface LiveRouteSink extends RouteSink {
  abandonEndpoints(endpoints: readonly Endpoint[]): void;
}

export interface LiveEndpoints extends RouteSink {
  updateRoutes(diff: RouteDiff): void;
  close(): void;
}

export interface LiveEndpointsOptions {
  /** A VS whose status or engine registration vanished is dead (a host gone silent): a farm on etcd. Default true. */
  vanishedIsDead?: boolean;
}

export async function liveEndpoints(store: Store, router: LiveRouteSink, log: Logger, opts: LiveEndpointsOptions = {}): Promise<LiveEndpoints> {
  const vanishedIsDead = opts.vanishedIsDead ?? true;
  const engines = new Map<string, string>(); // key → engine id
  const statuses = new Map<string, StatusSeen>(); // key → what the filter reads of a status
  const statusKeys = new Map<string, Set<string>>(); // vs → the keys of its statuses
  const vsOfKey = new Map<string, string>(); // a status key → the VS its status names
  const routes = new Map<string, Route>(); // site → its route as given
  const routed = new Map<string, Map<string, { endpoint: Endpoint; sites: Set<string> }>>(); // vs → its routed endpoints, each with the sites routing it
  const departed = new Map<string, Map<string, Endpoint>>(); // vs → its endpoints that left every route while it ran
  let published = new Map<string, Route>(); // site → its route as the router has it (filtered)
  let liveEngines = new Set<string>();
  const wasRunning = new Set<string>(); // the VSs running when last looked at
  const sources = new WeakMap<Route, Route>(); // a filtered copy → the route it was made from

  const ready = (vs: string): boolean => some(vs, (s) => s.state === 'ready' && liveEngines.has(s.engine));
  // its process may be up: a status on a live engine that does not say it exited (one
  // machine: no status that says it exited)
  const running = (vs: string): boolean =>
    vanishedIsDead ? some(vs, (s) => liveEngines.has(s.engine) && !EXITED.has(s.state)) : !some(vs, (s) => EXITED.has(s.state));
  const some = (vs: string, test: (s: StatusSeen) => boolean): boolean => {
    for (const key of statusKeys.get(vs) ?? []) if (test(statuses.get(key) as StatusSeen)) return true;
    return false;
  };

  // Only the sites given are looked at (every site for `whole`, and a whole table goes to
  // setRoutes); the router is told the sites whose filtered route changed. `vss`: the VSs
  // whose status may have changed (every one for `whole`), to find the dead among them.
  const publish = (whole: boolean, sites: Iterable<string>, vss: Iterable<string>, removed: readonly string[] = []) => {
    const put: Route[] = [];
    for (const site of sites) {
      const r = routes.get(site);
      if (!r) continue;
      const was = published.get(site);
      let out = filtered(r);
      // the same filtered copy as last time: the site is unchanged
      if (out !== r && was !== undefined && sources.get(was) === r && sameEndpoints(was.endpoints, out.endpoints)) out = was;
      published.set(site, out);
      if (out === was) continue;
      put.push(out);
      if (out !== r) log.info({ event: 'router.endpoints_dropped', site: r.site, dropped: r.endpoints.filter((e) => !ready(e.vs)).map((e) => e.vs) }, 'endpoints dropped ahead of the reconciler');
    }
    const remove = removed.filter((site) => !routes.has(site) && published.delete(site));
    if (whole || !router.updateRoutes) router.setRoutes([...published.values()]);
    else if (put.length > 0 || remove.length > 0) router.updateRoutes({ put, remove });
    // dead: running when last looked at, its process exited or its status or engine gone now, and routed
    const dead: Endpoint[] = [];
    for (const vs of vss) {
      const now = running(vs);
      if (wasRunning.has(vs) && !now) {
        for (const { endpoint } of routed.get(vs)?.values() ?? []) dead.push(endpoint);
        for (const endpoint of departed.get(vs)?.values() ?? []) dead.push(endpoint);
      }
      // a VS without a status is not looked after (on one machine it may still run: nothing
      // says it exited), so neither set keeps a name per VS the farm ever had
      if (now && statusKeys.has(vs)) wasRunning.add(vs);
      else {
        wasRunning.delete(vs);
        departed.delete(vs);
      }
    }
    if (dead.length === 0) return;
    log.warn({ event: 'router.endpoints_gone', vss: dead.map((e) => e.vs) }, 'virtual servers gone: cutting their requests in flight');
    router.abandonEndpoints(dead);
  };
  const publishAll = () => {
    published = new Map([...published].filter(([site]) => routes.has(site)));
    publish(true, routes.keys(), new Set([...statusKeys.keys(), ...wasRunning]));
  };
  // the route as given when filtering would drop none of its endpoints, or all of them (a stale view never empties it)
  const filtered = (r: Route): Route => {
    const endpoints = r.endpoints.filter((e) => ready(e.vs));
    if (endpoints.length === r.endpoints.length || endpoints.length === 0) return r;
    const copy = { ...r, endpoints };
    sources.set(copy, r);
    return copy;
  };
  // the sites routing any of these VSs
  const sitesOf = (vss: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    for (const vs of vss) for (const { sites } of routed.get(vs)?.values() ?? []) for (const site of sites) out.add(site);
    return out;
  };
  const setRoute = (site: string, r: Route | undefined) => {
    const old = routes.get(site);
    for (const e of old?.endpoints ?? []) {
      const byKey = routed.get(e.vs);
      const entry = byKey?.get(endpointKey(e));
      entry?.sites.delete(site);
      if (entry && entry.sites.size === 0) {
        byKey!.delete(endpointKey(e));
        if (wasRunning.has(e.vs)) departedOf(e.vs).set(endpointKey(e), entry.endpoint);
      }
      if (byKey && byKey.size === 0) routed.delete(e.vs);
    }
    if (r) routes.set(site, r);
    else routes.delete(site);
    for (const e of r?.endpoints ?? []) {
      let byKey = routed.get(e.vs);
      if (!byKey) routed.set(e.vs, (byKey = new Map()));
      let entry = byKey.get(endpointKey(e));
      if (!entry) byKey.set(endpointKey(e), (entry = { endpoint: e, sites: new Set() }));
      entry.sites.add(site);
      const gone = departed.get(e.vs);
      if (gone?.delete(endpointKey(e)) && gone.size === 0) departed.delete(e.vs); // routed again
    }
  };
  const departedOf = (vs: string): Map<string, Endpoint> => {
    let m = departed.get(vs);
    if (!m) departed.set(vs, (m = new Map()));
    return m;
  };

  // Each prefix kept in `into` by watchPrefix (load, watch, and load again when the watch
  // breaks), with the keys each load or batch touched; a record that does not parse is
  // left out (logged), never thrown out of the watch.
  const follow = <T>(prefix: string, into: Map<string, T>, parse: (value: string) => T | undefined, changed: (keys: string[]) => void): Promise<Watcher> =>
    watchPrefix<{ key: string; rec: T }>(store, {
      prefix, log, what: 'router.live-endpoints',
      parse: (kv) => {
        let rec: T | undefined;
        try {
          rec = parse(kv.value);
        } catch {
          rec = undefined;
        }
        if (rec === undefined) log.warn({ event: 'router.bad-record', key: kv.key }, 'ignoring a record that is not valid');
        return rec === undefined ? undefined : { key: kv.key, rec };
      },
      publish: (records) => {
        const before = [...into.keys()];
        into.clear();
        for (const r of records) into.set(r.key, r.rec);
        changed([...new Set([...before, ...into.keys()])]);
      },
      update: ({ put, removed }) => {
        for (const r of removed) into.delete(r.key);
        for (const r of put) into.set(r.key, r.rec);
        changed([...removed, ...put].map((r) => r.key));
      },
    });
  let started = false; // nothing is published before both watches are in
  // an engine came or went: every VS may have changed (rare)
  const enginesChanged = () => {
    liveEngines = new Set(engines.values());
    if (started) publishAll();
  };
  // statuses changed: the sites routing those VSs only
  const statusesChanged = (keys: string[]) => {
    const vss = new Set<string>();
    for (const key of keys) {
      const before = vsOfKey.get(key);
      const now = statuses.get(key)?.vs;
      if (before === now) {
        if (now !== undefined) vss.add(now);
        continue;
      }
      if (before !== undefined) {
        vss.add(before);
        vsOfKey.delete(key);
        const set = statusKeys.get(before);
        set?.delete(key);
        if (set?.size === 0) statusKeys.delete(before);
      }
      if (now !== undefined) {
        vss.add(now);
        vsOfKey.set(key, now);
        let set = statusKeys.get(now);
        if (!set) statusKeys.set(now, (set = new Set()));
        set.add(key);
      }
    }
    if (started) publish(false, sitesOf(vss), vss);
  };

  const watchers = [
    await follow(keys.engines, engines, (v) => stringField<EngineRecord>(v, 'id')?.id, enginesChanged),
    await follow(keys.vsStatuses, statuses, (v) => {
      const s = stringField<VsStatus>(v, 'vs');
      // three fields kept, not the record: a pool VS's status carries each of its sites
      return s && typeof s.engine === 'string' && typeof s.state === 'string' ? { vs: s.vs, engine: s.engine, state: s.state } : undefined;
    }, statusesChanged),
  ];
  started = true;
  for (const vs of statusKeys.keys()) if (running(vs)) wasRunning.add(vs);
  return {
    setRoutes(next) {
      const given = new Map(next.map((r) => [r.site, r]));
      for (const site of [...routes.keys()]) if (!given.has(site)) setRoute(site, undefined);
      for (const [site, r] of given) if (routes.get(site) !== r) setRoute(site, r);
      publishAll();
    },
    updateRoutes(diff) {
      for (const site of diff.remove) setRoute(site, undefined);
      for (const r of diff.put) setRoute(r.site, r);
      publish(false, diff.put.map((r) => r.site), [], diff.remove);
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}

type StatusSeen = Pick<VsStatus, 'vs' | 'engine' | 'state'>;

/** States of a VS whose process has exited (src/engine/README.md): its connections are dead. */
const EXITED: ReadonlySet<VsStatus['state']> = new Set(['crashed', 'backoff', 'stopped']);

function endpointKey(e: Endpoint): string {
  return `${e.vs}@${e.address}:${e.port}`;
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** The JSON object in value when its `field` is a string, else undefined. */
function stringField<T extends object>(value: string, field: keyof T): T | undefined {
  const v = JSON.parse(value) as unknown;
  return typeof v === 'object' && v !== null && typeof (v as T)[field] === 'string' ? (v as T) : undefined;
}
