// The reconciler loop: takes a snapshot of the farm from its in-memory mirror (kept by
// one store watch, farm-mirror.ts), asks planReconcile what to do, and writes the result.
// It runs on every relevant store change (at once, or spaced KICK_SPACING_MS after the last
// kicked pass) and on a timer, never two passes at once.

import type { Compare, Store, TxnOp, Watcher } from '../store/types.ts';
import { NotLeaderError } from './errors.ts';
import { keys, type Assignment, type DatabaseRecord, type EngineRecord, type Release, type Route, type ScaleRecord, type Site, type UnplacedRecord, type VsStatus } from '../model/index.ts';

import { silentLogger, type Logger } from '../lib/log.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions, type PlanOptions } from './plan.ts';
import { dueSites, hasTimers, type DueSites } from './due-sites.ts';
import { SiteTable, siteIndexOf } from './site-index.ts';
import { DirtySites } from './dirty-sites.ts';
import { createEventLog, type EventLog } from './event-log.ts';
import { watchFarmEvents } from './farm-events.ts';
import { createFarmMirror } from './farm-mirror.ts';
import { guardActions, refusalReporter } from './record-guard.ts';
import { reconcileActions, reconcileDuration, reconcileErrors, reconcileFullPasses } from './metrics.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import { databaseLogins } from './database-logins.ts';
import { startAutoscaler, type AutoscaleView, type AutoscalerTiming } from './autoscaler.ts';


export interface ReconcilerOptions {
  store: Store;
  log?: Logger;
  /** How long a retired VS stays up after leaving the route, so in-flight requests finish. */
  drainDelayMs?: number;
  /** How long an engine may be unregistered before its virtual servers are placed elsewhere. */
  engineLostGraceMs?: number;
  /** Periodic pass, for timers such as the drain delay. */
  tickMs?: number;
  /** Where farm events (VS crashed, engine lost, failover) go; default the store's event log. */
  events?: EventLog;
  /**
   * Leader fencing: a compare every write must pass (see LeaderElection.fence). When it
   * returns undefined this reconciler is no longer leader and writes nothing.
   */
  fence?: () => Compare | undefined;
  /** Opens the databases' sealed passwords, so servers of a site bound to one get its current login; without it they get none. */
  databaseSecrets?: DatabaseSecrets;
  /** The autoscaler's timing (autoscaler.ts): it runs beside the reconciler, on the same leader, with the same fence. */
  autoscale?: Partial<AutoscalerTiming>;

}

export interface Reconciler {
  /** Ask for a pass soon. */
  kick(): void;
  /** Run one pass now and wait for it (tests, startup). */
  runOnce(): Promise<PlanActions>;
  /** How long passes have been failing without one succeeding since (0: the last pass succeeded). */
  failingForMs(): number;
  close(): Promise<void>;
}

/** A full plan on the tick is spaced so it takes at most 1/FULL_PASS_SHARE of a core. */
const FULL_PASS_SHARE = 10;

/**
 * The tick's timers are planned per site (due-sites.ts); a pass over every site still
 * comes this often, or 1,000 × its own time if longer (0.1 % of a core; at 10,000 sites
 * about every 2 minutes) but at least every FULL_PASS_AT_MOST_MS, for what no event marks:
 * a site waiting for room on an engine (servers removed bring one sooner), a spread to
 * restore.
 */
export const FULL_PASS_EVERY_MS = 10_000;
export const FULL_PASS_AT_MOST_MS = 120_000;
const FULL_PASS_IDLE_SHARE = 1_000;

/**
 * What the tick plans, `sinceMs` after the last full plan, which took `fullPlanMs`:
 * every site when the last one is old enough, or when servers were removed (room freed
 * for a site waiting for it) and tickPlansAll allows; else the sites with a timer running.
 */
export function tickPlan(sinceMs: number, fullPlanMs: number, tickMs: number, removed: boolean): 'all' | 'due' {
  if (sinceMs >= Math.min(FULL_PASS_AT_MOST_MS, Math.max(FULL_PASS_EVERY_MS, FULL_PASS_IDLE_SHARE * fullPlanMs)) - tickMs) return 'all';
  return removed && tickPlansAll(sinceMs, fullPlanMs, tickMs) ? 'all' : 'due';
}

/**
 * Whether a tick plans every site, `sinceMs` after the last full plan, which took
 * `fullPlanMs`: on every tick while a full plan is cheap (under tickMs / 10, so small farms
 * keep their timers to the tick), else once FULL_PASS_SHARE × its time has passed.
 */
export function tickPlansAll(sinceMs: number, fullPlanMs: number, tickMs: number): boolean {
  return sinceMs >= Math.max(tickMs, FULL_PASS_SHARE * fullPlanMs) - tickMs;
}

/**
 * Kicked passes start at most once per KICK_SPACING_MS: a burst of changes coalesces into one
 * pass, while a change after a quiet spell is planned at once (a new site's route waits for
 * two passes: its assignment, then its route once the VS shows it).
 */
export const KICK_SPACING_MS = 15;

/** How long a kick waits: until KICK_SPACING_MS after the last kicked pass began, else not at all. */
export function kickDelay(now: number, lastKickedAt: number, spacingMs = KICK_SPACING_MS): number {
  return Math.min(spacingMs, Math.max(0, lastKickedAt + spacingMs - now));
}

const WATCHED = [keys.sites, keys.releases, keys.engines, keys.engineDrains, keys.assignments, keys.vsStatuses, keys.databases, keys.scales];


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
  let lastKickedAt = -Infinity;
  let failingSince: number | undefined;

  const events = opts.events ?? createEventLog(store);
  // A change marks the sites it concerns; one under a watched prefix asks for a pass
  // (routes are the reconciler's own output).
  const dirty = new DirtySites();
  const mirror = createFarmMirror({
    store, log, ...(opts.databaseSecrets ? { databaseSecrets: opts.databaseSecrets } : {}),
    onChange: (prefixes, changes) => {
      dirty.note(changes);
      if (WATCHED.some((p) => prefixes.has(p))) kick();
    },
    onReload: () => dirty.markAll(),
  });
  const reportRefusals = refusalReporter();

  /** When the last plan of every site ran and how long it took (the tick's pace, below). */
  let fullPlan = { at: 0, ms: 0 };
  let timersDue = false; // the tick asks for the sites with a timer running (due-sites.ts)
  let removedSinceFull = false; // servers removed since the last full plan: room for a site waiting
  const pass = async (full: boolean): Promise<PlanActions> => {
    const started = Date.now();
    await mirror.sync();
    const snap = mirror.snapshot();
    const only = full ? (dirty.take(), undefined) : withDue(dirty.take(), timersDue ? dueSites(mem, snap) : undefined);
    timersDue = false;
    if (only && only.sites.size + only.customers.size === 0) return { create: [], remove: [], putRoutes: [], deleteRoutes: [] };
    const endTimer = reconcileDuration.startTimer();
    const planStarted = performance.now();
    const sites = siteIndexOf(snap).byName;
    const { actions, refused } = guardActions(planReconcile(snap, mem, { now: Date.now(), drainDelayMs, engineLostGraceMs, ...(only ? { only } : {}) }), (site) => sites.get(site)?.customer);
    for (const event of reportRefusals(refused)) {
      log.warn({ event: 'reconcile.bad_record', site: event.site }, event.message ?? 'bad record');
      await events.record(event).catch((err: unknown) => log.error({ err }, 'could not record a bad-record event'));
    }
    if (!only) {
      fullPlan = { at: Date.now(), ms: performance.now() - planStarted };
      removedSinceFull = false;
      reconcileFullPasses.inc();
    }
    if (actions.remove.length > 0) removedSinceFull = true;
    await apply(store, actions, opts.fence).catch((err: unknown) => {
      reconcileErrors.inc();
      throw err;
    });
    endTimer();
    countActions(actions);
    await recordFailovers(events, snap, actions).catch((err: unknown) => log.error({ err }, 'could not record a failover event'));
    await recordUnplaced(events, actions, log).catch((err: unknown) => log.error({ err }, 'could not record an unplaced-site event'));
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
  // A kicked pass plans the sites changes marked (dirty-sites.ts); a tick's or a caller's, every site.
  const runPass = (full: boolean): Promise<PlanActions> => {
    const p = chain.then(() => pass(full));
    p.then(
      () => (failingSince = undefined),
      (err: unknown) => {
        dirty.markAll(); // what it had to plan is not known to be done
        if (!(err instanceof NotLeaderError)) failingSince ??= Date.now();
      },
    );
    chain = p.catch(() => undefined);
    return p;
  };
  const runOnce = (): Promise<PlanActions> => runPass(true);

  const kick = (): void => {
    if (closed || queued) return;
    queued = true;
    debounce = setTimeout(() => {
      queued = false;
      lastKickedAt = Date.now();
      runPass(false).catch((err: unknown) => {
        if (err instanceof NotLeaderError) log.info({ event: 'reconcile.fenced' }, err.message);
        else log.error({ event: 'reconcile.error', err }, 'reconcile pass failed');
      });
    }, kickDelay(Date.now(), lastKickedAt));
  };

  const watchers: Watcher[] = [await watchFarmEvents(store, events, log), mirror];
  // The tick plans the sites whose timers run (drain delays, spread moves, pools' leaving
  // sites; a lost engine: every site), and every site only now and then (tickPlan): an
  // idle farm is not planned whole twice a second.
  const tickMs = opts.tickMs ?? 500;
  const timer = setInterval(() => {
    if (tickPlan(Date.now() - fullPlan.at, fullPlan.ms, tickMs, removedSinceFull) === 'all') dirty.markAll();
    else if (hasTimers(mem)) timersDue = true;
    else return;
    kick();
  }, tickMs);
  timer.unref();
  kick();
  // the autoscaler reads sites and scale records from the mirror, not the store
  const view = async (): Promise<AutoscaleView> => {
    await mirror.sync();
    const snap = mirror.snapshot();
    return { sites: snap.sites, scales: snap.scales ?? new Map() };
  };
  const autoscaler = await startAutoscaler({ store, events, view, log: log.child({ part: 'autoscaler' }), ...(opts.fence ? { fence: opts.fence } : {}), ...(opts.autoscale ? { timing: opts.autoscale } : {}) });

  return {
    kick,
    runOnce,
    failingForMs: () => (failingSince === undefined ? 0 : Date.now() - failingSince),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      for (const w of watchers) w.close();
      await autoscaler.close();
      await chain;
    },
  };
}

/** The dirty sites and the due ones together (undefined: every site). */
function withDue(marked: PlanOptions['only'], due: DueSites): PlanOptions['only'] {
  if (!marked || due === 'all') return undefined;
  if (!due) return marked;
  return { sites: new Set([...marked.sites, ...due.sites]), customers: new Set([...marked.customers, ...due.customers]) };
}

/** Everything planReconcile looks at, read from the store. */
export async function readSnapshot(store: Store, secrets?: DatabaseSecrets): Promise<FarmSnapshot> {
  const [sites, releases, engines, assignments, statuses, routes, drains, scales, unplaced] = await Promise.all(
    [keys.sites, keys.releases, keys.engines, keys.assignments, keys.vsStatuses, keys.routes, keys.engineDrains, keys.scales, keys.unplaced].map((p) => store.range(p)),
  );
  const parse = <T>(r: { kvs: { value: string }[] } | undefined): T[] => (r?.kvs ?? []).map((kv) => JSON.parse(kv.value) as T);
  const drained = new Set((drains?.kvs ?? []).map((kv) => kv.key.slice(keys.engineDrains.length)));
  const siteList = parse<Site>(sites);
  return {
    sites: siteList,
    siteIndex: SiteTable.of(siteList),
    releases: new Map(parse<Release>(releases).map((r) => [`${r.site}/${r.id}`, r])),
    engines: parse<EngineRecord>(engines).map((e) => (drained.has(e.id) ? { ...e, draining: true } : e)),
    assignments: parse<Assignment>(assignments),
    statuses: new Map(parse<VsStatus>(statuses).map((s) => [s.vs, s])),
    routes: new Map(parse<Route>(routes).map((r) => [r.site, r])),
    scales: new Map(parse<ScaleRecord>(scales).map((r) => [r.site, r])),
    unplaced: new Map(parse<UnplacedRecord>(unplaced).map((r) => [r.site, r])),
    ...(secrets ? { databases: databaseLogins((await store.range(keys.databases)).kvs.map((kv) => JSON.parse(kv.value) as DatabaseRecord), secrets) } : {}),
  };
}

/** Transactions are capped in size (etcd allows 128 operations and 1.5 MiB by default; routes carry pages up to 64 KiB each). */
const MAX_TXN_OPS = 100;
const MAX_TXN_BYTES = 1024 * 1024;

async function apply(store: Store, actions: PlanActions, fence?: () => Compare | undefined): Promise<void> {
  // Order matters: new servers and routes first, removals last.
  const ops: TxnOp[] = [
    ...actions.create.map((a): TxnOp => ({ type: 'put', key: keys.assignment(a.engine, a.vs), value: JSON.stringify(a) })),
    ...actions.putRoutes.map((r): TxnOp => ({ type: 'put', key: keys.route(r.site), value: JSON.stringify(r) })),
    ...actions.deleteRoutes.map((site): TxnOp => ({ type: 'delete', key: keys.route(site) })),
    ...(actions.putUnplaced ?? []).map((r): TxnOp => ({ type: 'put', key: keys.siteUnplaced(r.site), value: JSON.stringify(r) })),
    ...(actions.deleteUnplaced ?? []).map((site): TxnOp => ({ type: 'delete', key: keys.siteUnplaced(site) })),
    ...actions.remove.map((a): TxnOp => ({ type: 'delete', key: keys.assignment(a.engine, a.vs) })),
  ];
  for (const batch of batches(ops)) {
    const compare = fence ? fence() : undefined;
    if (fence && !compare) throw new NotLeaderError();
    const res = await store.txn({ compare: compare ? [compare] : [], success: batch });
    if (!res.succeeded) throw new NotLeaderError();
  }
}

/** Consecutive runs of at most MAX_TXN_OPS operations and (unless one alone is larger) MAX_TXN_BYTES of values. */
function batches(ops: TxnOp[]): TxnOp[][] {
  const out: TxnOp[][] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = op.type === 'put' ? op.key.length + Buffer.byteLength(op.value) : 100;
    const last = out.at(-1);
    if (last && last.length < MAX_TXN_OPS && bytes + size <= MAX_TXN_BYTES) {
      last.push(op);
      bytes += size;
    } else {
      out.push([op]);
      bytes = size;
    }
  }
  return out;
}

function countActions(actions: PlanActions): void {
  if (actions.create.length) reconcileActions.inc({ kind: 'create' }, actions.create.length);
  if (actions.remove.length) reconcileActions.inc({ kind: 'remove' }, actions.remove.length);
  if (actions.putRoutes.length) reconcileActions.inc({ kind: 'route_put' }, actions.putRoutes.length);
  if (actions.deleteRoutes.length) reconcileActions.inc({ kind: 'route_delete' }, actions.deleteRoutes.length);
}

/** Sites whose servers wait for an engine that can take them (plan.ts names each once per episode): one event each. */
async function recordUnplaced(events: EventLog, actions: PlanActions, log: Logger): Promise<void> {
  for (const u of actions.unplaced ?? []) {
    const message = `${u.count} server(s) of site ${u.site} not placed: ${u.reason}; placed as soon as an engine can take them`;
    log.warn({ event: 'reconcile.unplaced', site: u.site, count: u.count }, message);
    await events.record({ type: 'farm', action: 'site.unplaced', site: u.site, customer: u.customer, target: `site/${u.site}`, result: 'error', message });
  }
}

/** VSs removed because their engine is gone are a failover: one event per lost engine. */
async function recordFailovers(events: EventLog, snap: FarmSnapshot, actions: PlanActions): Promise<void> {
  const registered = new Set(snap.engines.map((e) => e.id));
  const lost = new Map<string, string[]>();
  for (const a of actions.remove) if (!registered.has(a.engine)) lost.set(a.engine, [...(lost.get(a.engine) ?? []), a.vs]);
  for (const [engine, vss] of lost) {
    const moved = actions.create.filter((a) => a.engine !== engine);
    await events.record({
      type: 'farm', action: 'failover', engine, target: `engine/${engine}`,
      message: `${vss.length} virtual servers of lost engine ${engine} replaced by ${moved.map((a) => `${a.vs}@${a.engine}`).join(', ') || 'none yet'}`,
    });
  }
}
