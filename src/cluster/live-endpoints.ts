// A router on a farm on etcd drops an endpoint as soon as the store says it is gone —
// its VS status is no longer 'ready', or vanished with its engine's lease — without
// waiting for the reconciler to publish a new route. Sits between watchRoutes and the
// router: routes in, filtered routes out, re-filtered on every status or engine change.
// If filtering would leave a route with no endpoint, the route passes unfiltered (the
// router's own retries and passive ejection still apply): a stale view never empties it.
//
// An endpoint whose VS status vanished (deleted, or expired with its engine's lease) or
// whose engine's registration vanished is dead, not just unready: a host gone silent
// sends no reset, so the requests in flight to it would wait for their timeouts. The
// router is told (abandonEndpoints, once: when a routed endpoint's status goes) to cut them now: replayable ones are
// retried on another endpoint, the others answered 502. An endpoint merely not ready
// (stopping, restarting) is only dropped; its requests finish.

import type { Logger } from '../lib/log.ts';
import { keys, type Endpoint, type EngineRecord, type Route, type VsStatus } from '../model/index.ts';
import type { Store, Watcher } from '../store/index.ts';
import type { RouteDiff } from '../router/index.ts';

export interface RouteSink {
  setRoutes(routes: readonly Route[]): void;
  /** Per site (Router.updateRoutes); without it every change goes to setRoutes whole. */
  updateRoutes?(diff: RouteDiff): void;
}

/** The router (or router cluster) behind: routes, and endpoints known dead. */
export interface LiveRouteSink extends RouteSink {
  abandonEndpoints(endpoints: readonly Endpoint[]): void;
}

export interface LiveEndpoints extends RouteSink {
  updateRoutes(diff: RouteDiff): void;
  close(): void;
}

export async function liveEndpoints(store: Store, router: LiveRouteSink, log: Logger): Promise<LiveEndpoints> {
  const engines = new Map<string, string>(); // key → engine id
  const statuses = new Map<string, VsStatus>(); // key → status
  const routes = new Map<string, Route>(); // site → its route as given
  let published = new Map<string, Route>(); // site → its route as the router has it (filtered)
  let alive = new Map<string, Endpoint>(); // routed endpoints with a status on a live engine, at the last publish

  // the router is told only the sites whose filtered route changed (all of them for `whole`)
  const publish = (whole: boolean) => {
    const live = new Set(engines.values());
    const ready = new Set([...statuses.values()].filter((s) => s.state === 'ready' && live.has(s.engine)).map((s) => s.vs));
    const present = new Set([...statuses.values()].filter((s) => live.has(s.engine)).map((s) => s.vs));
    const next = new Map<string, Route>();
    const put: Route[] = [];
    for (const r of routes.values()) {
      const was = published.get(r.site);
      let out = filtered(r, ready);
      // the same filtered copy as last time: the site is unchanged
      if (out !== r && was !== undefined && sources.get(was) === r && sameEndpoints(was.endpoints, out.endpoints)) out = was;
      next.set(r.site, out);
      if (out === was) continue;
      put.push(out);
      if (out !== r) log.info({ event: 'router.endpoints_dropped', site: r.site, dropped: r.endpoints.filter((e) => !ready.has(e.vs)).map((e) => e.vs) }, 'endpoints dropped ahead of the reconciler');
    }
    const remove = [...published.keys()].filter((site) => !next.has(site));
    published = next;
    if (whole || !router.updateRoutes) router.setRoutes([...next.values()]);
    else if (put.length > 0 || remove.length > 0) router.updateRoutes({ put, remove });
    // dead: alive at the last publish, its status or engine gone now (whether still routed or not)
    const dead = [...alive.values()].filter((e) => !present.has(e.vs));
    alive = new Map();
    for (const r of routes.values()) for (const e of r.endpoints) if (present.has(e.vs)) alive.set(`${e.vs}@${e.address}:${e.port}`, e);
    if (dead.length === 0) return;
    log.warn({ event: 'router.endpoints_gone', vss: dead.map((e) => e.vs) }, 'virtual servers gone: cutting their requests in flight');
    router.abandonEndpoints(dead);
  };
  // the route as given when filtering would drop none of its endpoints, or all of them (a stale view never empties it)
  const filtered = (r: Route, ready: ReadonlySet<string>): Route => {
    const endpoints = r.endpoints.filter((e) => ready.has(e.vs));
    if (endpoints.length === r.endpoints.length || endpoints.length === 0) return r;
    const copy = { ...r, endpoints };
    sources.set(copy, r);
    return copy;
  };
  const sources = new WeakMap<Route, Route>(); // a filtered copy → the route it was made from

  const follow = async <T>(prefix: string, into: Map<string, T>, parse: (value: string) => T | undefined): Promise<Watcher> => {
    // a record that does not parse is left out (logged), never thrown out of the watch
    const put = (key: string, value: string) => {
      let rec: T | undefined;
      try {
        rec = parse(value);
      } catch {
        rec = undefined;
      }
      if (rec !== undefined) into.set(key, rec);
      else {
        into.delete(key);
        log.warn({ event: 'router.bad-record', key }, 'ignoring a record that is not valid');
      }
    };
    const { kvs, revision } = await store.range(prefix);
    for (const kv of kvs) put(kv.key, kv.value);
    return store.watch(
      prefix,
      (events) => {
        for (const e of events) {
          if (e.type === 'put') put(e.kv.key, e.kv.value);
          else into.delete(e.kv.key);
        }
        publish(false);
      },
      { fromRevision: revision + 1 },
    );
  };

  const watchers = [
    await follow(keys.engines, engines, (v) => stringField<EngineRecord>(v, 'id')?.id),
    await follow(keys.vsStatuses, statuses, (v) => {
      const s = stringField<VsStatus>(v, 'vs');
      return s && typeof s.engine === 'string' && typeof s.state === 'string' ? s : undefined;
    }),
  ];
  return {
    setRoutes(next) {
      routes.clear();
      for (const r of next) routes.set(r.site, r);
      publish(true);
    },
    updateRoutes(diff) {
      for (const site of diff.remove) routes.delete(site);
      for (const r of diff.put) routes.set(r.site, r);
      publish(false);
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** The JSON object in value when its `field` is a string, else undefined. */
function stringField<T extends object>(value: string, field: keyof T): T | undefined {
  const v = JSON.parse(value) as unknown;
  return typeof v === 'object' && v !== null && typeof (v as T)[field] === 'string' ? (v as T) : undefined;
}
