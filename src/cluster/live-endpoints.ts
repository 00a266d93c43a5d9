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

export interface RouteSink {
  setRoutes(routes: readonly Route[]): void;
}

/** The router (or router cluster) behind: routes, and endpoints known dead. */
export interface LiveRouteSink extends RouteSink {
  abandonEndpoints(endpoints: readonly Endpoint[]): void;
}

export interface LiveEndpoints extends RouteSink {
  close(): void;
}

export async function liveEndpoints(store: Store, router: LiveRouteSink, log: Logger): Promise<LiveEndpoints> {
  const engines = new Map<string, string>(); // key → engine id
  const statuses = new Map<string, VsStatus>(); // key → status
  let routes: readonly Route[] = [];
  let alive = new Map<string, Endpoint>(); // routed endpoints with a status on a live engine, at the last publish

  const publish = () => {
    const live = new Set(engines.values());
    const ready = new Set([...statuses.values()].filter((s) => s.state === 'ready' && live.has(s.engine)).map((s) => s.vs));
    const present = new Set([...statuses.values()].filter((s) => live.has(s.engine)).map((s) => s.vs));
    router.setRoutes(
      routes.map((r) => {
        const endpoints = r.endpoints.filter((e) => ready.has(e.vs));
        if (endpoints.length === r.endpoints.length) return r;
        if (endpoints.length === 0) return r;
        log.info({ event: 'router.endpoints_dropped', site: r.site, dropped: r.endpoints.filter((e) => !ready.has(e.vs)).map((e) => e.vs) }, 'endpoints dropped ahead of the reconciler');
        return { ...r, endpoints };
      }),
    );
    // dead: alive at the last publish, its status or engine gone now (whether still routed or not)
    const dead = [...alive.values()].filter((e) => !present.has(e.vs));
    alive = new Map();
    for (const r of routes) for (const e of r.endpoints) if (present.has(e.vs)) alive.set(`${e.vs}@${e.address}:${e.port}`, e);
    if (dead.length === 0) return;
    log.warn({ event: 'router.endpoints_gone', vss: dead.map((e) => e.vs) }, 'virtual servers gone: cutting their requests in flight');
    router.abandonEndpoints(dead);
  };

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
        publish();
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
      routes = next;
      publish();
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}

/** The JSON object in value when its `field` is a string, else undefined. */
function stringField<T extends object>(value: string, field: keyof T): T | undefined {
  const v = JSON.parse(value) as unknown;
  return typeof v === 'object' && v !== null && typeof (v as T)[field] === 'string' ? (v as T) : undefined;
}
