// A router on a farm on etcd drops an endpoint as soon as the store says it is gone —
// its VS status is no longer 'ready', or vanished with its engine's lease — without
// waiting for the reconciler to publish a new route. Sits between watchRoutes and the
// router: routes in, filtered routes out, re-filtered on every status or engine change.
// If filtering would leave a route with no endpoint, the route passes unfiltered (the
// router's own retries and passive ejection still apply): a stale view never empties it.

import type { Logger } from '../lib/log.ts';
import { keys, type EngineRecord, type Route, type VsStatus } from '../model/index.ts';
import type { Store, Watcher } from '../store/index.ts';

export interface RouteSink {
  setRoutes(routes: readonly Route[]): void;
}

export interface LiveEndpoints extends RouteSink {
  close(): void;
}

export async function liveEndpoints(store: Store, router: RouteSink, log: Logger): Promise<LiveEndpoints> {
  const engines = new Map<string, string>(); // key → engine id
  const statuses = new Map<string, VsStatus>(); // key → status
  let routes: readonly Route[] = [];

  const publish = () => {
    const live = new Set(engines.values());
    const ready = new Set([...statuses.values()].filter((s) => s.state === 'ready' && live.has(s.engine)).map((s) => s.vs));
    router.setRoutes(
      routes.map((r) => {
        const endpoints = r.endpoints.filter((e) => ready.has(e.vs));
        if (endpoints.length === r.endpoints.length) return r;
        if (endpoints.length === 0) return r;
        log.info({ event: 'router.endpoints_dropped', site: r.site, dropped: r.endpoints.filter((e) => !ready.has(e.vs)).map((e) => e.vs) }, 'endpoints dropped ahead of the reconciler');
        return { ...r, endpoints };
      }),
    );
  };

  const follow = async <T>(prefix: string, into: Map<string, T>, parse: (value: string) => T): Promise<Watcher> => {
    const { kvs, revision } = await store.range(prefix);
    for (const kv of kvs) into.set(kv.key, parse(kv.value));
    return store.watch(
      prefix,
      (events) => {
        for (const e of events) {
          if (e.type === 'put') into.set(e.kv.key, parse(e.kv.value));
          else into.delete(e.kv.key);
        }
        publish();
      },
      { fromRevision: revision + 1 },
    );
  };

  const watchers = [
    await follow(keys.engines, engines, (v) => (JSON.parse(v) as EngineRecord).id),
    await follow(keys.vsStatuses, statuses, (v) => JSON.parse(v) as VsStatus),
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
