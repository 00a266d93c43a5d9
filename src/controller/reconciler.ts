// The reconciler loop: reads a snapshot of the farm from the store, asks planReconcile
// what to do, and writes the result. It runs on every relevant store change (debounced)
// and on a timer, never two passes at once.

import type { Store, Watcher } from '../store/types.ts';
import { keys, type Assignment, type EngineRecord, type Release, type Route, type Site, type VsStatus } from '../model/index.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions } from './plan.ts';

export interface ReconcilerOptions {
  store: Store;
  log?: Logger;
  /** How long a retired VS stays up after leaving the route, so in-flight requests finish. */
  drainDelayMs?: number;
  /** How long an engine may be unregistered before its virtual servers are placed elsewhere. */
  engineLostGraceMs?: number;
  /** Periodic pass, for timers such as the drain delay. */
  tickMs?: number;
}

export interface Reconciler {
  /** Ask for a pass soon. */
  kick(): void;
  /** Run one pass now and wait for it (tests, startup). */
  runOnce(): Promise<PlanActions>;
  close(): Promise<void>;
}

const WATCHED = [keys.sites, keys.releases, keys.engines, keys.assignments, keys.vsStatuses];

export async function startReconciler(opts: ReconcilerOptions): Promise<Reconciler> {
  const { store } = opts;
  const log = opts.log ?? silentLogger;
  const mem = newMemory();
  const drainDelayMs = opts.drainDelayMs ?? 1500;
  const engineLostGraceMs = opts.engineLostGraceMs ?? 10_000;
  let chain: Promise<unknown> = Promise.resolve();
  let queued = false;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;

  const pass = async (): Promise<PlanActions> => {
    const started = Date.now();
    const snap = await readSnapshot(store);
    const actions = planReconcile(snap, mem, { now: Date.now(), drainDelayMs, engineLostGraceMs });
    await apply(store, actions);
    if (actions.create.length + actions.remove.length + actions.putRoutes.length + actions.deleteRoutes.length > 0) {
      log.info({
        event: 'reconcile.pass', ms: Date.now() - started,
        created: actions.create.map((a) => a.vs), removed: actions.remove.map((a) => a.vs),
        routes: actions.putRoutes.map((r) => `${r.site}:${r.endpoints.length}`),
      }, 'reconciled');
    }
    return actions;
  };

  // Passes run one after another; kicks that arrive during a pass coalesce into one more.
  const runOnce = (): Promise<PlanActions> => {
    const p = chain.then(pass);
    chain = p.catch(() => undefined);
    return p;
  };

  const kick = (): void => {
    if (closed || queued) return;
    queued = true;
    debounce = setTimeout(() => {
      queued = false;
      runOnce().catch((err: unknown) => log.error({ event: 'reconcile.error', err }, 'reconcile pass failed'));
    }, 15);
  };

  const watchers: Watcher[] = [];
  for (const prefix of WATCHED) watchers.push(await store.watch(prefix, () => kick()));
  const timer = setInterval(kick, opts.tickMs ?? 500);
  timer.unref();
  kick();

  return {
    kick,
    runOnce,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      for (const w of watchers) w.close();
      await chain;
    },
  };
}

/** Everything planReconcile looks at, read from the store. */
export async function readSnapshot(store: Store): Promise<FarmSnapshot> {
  const [sites, releases, engines, assignments, statuses, routes] = await Promise.all(
    [keys.sites, keys.releases, keys.engines, keys.assignments, keys.vsStatuses, keys.routes].map((p) => store.range(p)),
  );
  const parse = <T>(r: { kvs: { value: string }[] } | undefined): T[] => (r?.kvs ?? []).map((kv) => JSON.parse(kv.value) as T);
  return {
    sites: parse<Site>(sites),
    releases: new Map(parse<Release>(releases).map((r) => [`${r.site}/${r.id}`, r])),
    engines: parse<EngineRecord>(engines),
    assignments: parse<Assignment>(assignments),
    statuses: new Map(parse<VsStatus>(statuses).map((s) => [s.vs, s])),
    routes: new Map(parse<Route>(routes).map((r) => [r.site, r])),
  };
}

async function apply(store: Store, actions: PlanActions): Promise<void> {
  // Order matters: new servers and routes first, removals last.
  for (const a of actions.create) await store.put(keys.assignment(a.engine, a.vs), JSON.stringify(a));
  for (const r of actions.putRoutes) await store.put(keys.route(r.site), JSON.stringify(r));
  for (const site of actions.deleteRoutes) await store.delete(keys.route(site));
  for (const a of actions.remove) await store.delete(keys.assignment(a.engine, a.vs));
}
