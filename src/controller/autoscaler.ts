// The autoscaler, beside the reconciler and on the same leader (started by it, writes
// fenced the same way): every `tickMs` it sums each autoscaled site's load over the
// routers' fresh records (keys.routerLoads, written every second by each router, its
// workers summed), keeps the samples of the last stable window, asks autoscale-rule.ts
// for a count, and writes each change as the site's ScaleRecord (keys.scale) with a
// farm event giving the reason. The plan reads the records (plan.ts); the reconciler
// watches them. A router holding requests for an idle site puts a WakeRecord
// (keys.wake): it is watched, so a wake is decided at once, not on the next tick.
// Sites and scale records come from `view` when given (the reconciler's farm mirror: no
// store read, and the autoscaled sites are picked out again only when the sites changed);
// a tick then reads only the routers' records and the wakes, and with no site
// autoscaling and no scale record left, the wakes alone.

import { keys, stillOpen, type Autoscale, type RouterLoadRecord, type ScaleRecord, type Site, type WakeRecord } from '../model/index.ts';
import type { Compare, Store, TxnOp, Watcher } from '../store/types.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import type { EventLog } from './event-log.ts';
import { autoscaleDecisions } from './metrics.ts';
import { DEFAULT_PANIC_WINDOW_MS, DEFAULT_STABLE_WINDOW_MS, decideReplicas, initialReplicas, type LoadSample, type ScaleTiming } from './autoscale-rule.ts';

export interface AutoscalerTiming extends ScaleTiming {
  /** How often load is sampled and decisions are made (the routers report every second). */
  tickMs: number;
}

export const DEFAULT_AUTOSCALER_TIMING: AutoscalerTiming = { tickMs: 1_000, panicWindowMs: DEFAULT_PANIC_WINDOW_MS, stableWindowMs: DEFAULT_STABLE_WINDOW_MS };

export interface AutoscalerOptions {
  store: Store;
  events: EventLog;
  log?: Logger;
  timing?: Partial<AutoscalerTiming>;
  /** Leader fencing, as the reconciler's: undefined → not leader, nothing is written. */
  fence?: () => Compare | undefined;
  /** The sites and scale records as of now, from memory (the reconciler's farm mirror); absent: read from the store every tick. */
  view?: () => Promise<AutoscaleView>;
}

/** What a tick needs of the farm besides the routers' figures (read only). */
export interface AutoscaleView {
  /** Every site; the same array while no site changed (the autoscaled ones are picked out again only when it is another). */
  sites: readonly Site[];
  scales: ReadonlyMap<string, ScaleRecord>;
}

export interface Autoscaler {
  /** One pass now (tests). */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

const MAX_TXN_OPS = 100;

/** A router's record older than this many ticks counts only what it had open (stillOpen): the router is slow, or stuck. */
const FRESH_TICKS = 3;

interface SiteMemory {
  samples: LoadSample[];
  lastActiveAt: number;
  /** The release last seen: a new one (a deploy) counts as activity and wakes an idle site. */
  release: string | undefined;
}

export async function startAutoscaler(opts: AutoscalerOptions): Promise<Autoscaler> {
  const { store, events } = opts;
  const log = opts.log ?? silentLogger;
  const timing = { ...DEFAULT_AUTOSCALER_TIMING, ...opts.timing };
  const memory = new Map<string, SiteMemory>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const readView = opts.view ?? (() => readFromStore(store));
  const pick = autoscaledPicker();

  const pass = async (): Promise<void> => {
    const view = await readView();
    const now = Date.now();
    const scaleBySite = view.scales;
    const sites = pick(view.sites);
    const idle = sites.length === 0 && scaleBySite.size === 0; // nothing to decide: only wakes to clear
    const [loads, wakes] = await Promise.all([idle ? undefined : store.range(keys.routerLoads), store.range(keys.wakes)]);
    const woken = new Set(parseAll<WakeRecord>(wakes!).map((w) => w.site));
    // a router's record lives on its lease (gone with the router); a late one (a loaded machine) still counts what it had open
    const freshFrom = now - FRESH_TICKS * Math.max(timing.tickMs, 1_000);
    const reports = parseAll<RouterLoadRecord>(loads).map((r) => (r.at >= freshFrom ? r.sites : stillOpen(r.sites)));
    const ops: TxnOp[] = [];
    const decided: { site: Site; record: ScaleRecord; from: number | undefined }[] = [];
    const autoscaled = new Set<string>();

    for (const site of sites) {
      autoscaled.add(site.name);
      const a = site.autoscale as Autoscale;
      const stored = scaleBySite.get(site.name);
      const own = stored && stored.siteId === site.id ? stored : undefined;
      const mem = remember(memory, site, now);
      let concurrency = 0, active = false;
      for (const r of reports) {
        const f = r[site.name];
        if (!f) continue;
        concurrency += f.concurrency;
        if (f.open > 0 || f.requests > 0 || f.concurrency > 0) active = true;
      }
      const deployed = mem.release !== site.release;
      mem.release = site.release;
      if (active || woken.has(site.name) || deployed) mem.lastActiveAt = now;
      mem.samples.push({ at: now, concurrency });
      const keepFrom = now - Math.max(timing.stableWindowMs, timing.panicWindowMs) - timing.tickMs;
      while (mem.samples.length > 0 && mem.samples[0]!.at < keepFrom) mem.samples.shift();

      const current = own?.replicas ?? initialReplicas(a);
      const wake = deployed && site.release !== undefined ? { woken: true, wakeReason: `release ${site.release} to roll out` } : { woken: woken.has(site.name) };
      const decision = decideReplicas({ autoscale: a, current, samples: mem.samples, lastActiveAt: mem.lastActiveAt, now, ...wake }, timing);
      if (!decision && own) continue;
      const record: ScaleRecord = {
        site: site.name, ...(site.id !== undefined ? { siteId: site.id } : {}),
        replicas: decision?.replicas ?? current, reason: decision?.reason ?? `autoscaling on: ${current} to start with`,
        at: new Date(now).toISOString(), lastActiveAt: mem.lastActiveAt,
      };
      ops.push({ type: 'put', key: keys.scale(site.name), value: JSON.stringify(record) });
      decided.push({ site, record, from: own?.replicas });
      // a decision after a wake or a change of direction starts the windows afresh
      if (decision) mem.samples = mem.samples.slice(-1);
    }
    for (const w of woken) ops.push({ type: 'delete', key: keys.wake(w) });
    for (const name of scaleBySite.keys()) if (!autoscaled.has(name)) ops.push({ type: 'delete', key: keys.scale(name) });
    for (const name of memory.keys()) if (!autoscaled.has(name)) memory.delete(name);
    if (ops.length === 0) return;

    // in transactions of at most MAX_TXN_OPS (etcd's limit is 128 operations)
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS) {
      const compare = opts.fence?.();
      if (opts.fence && !compare) return; // not the leader (any more): the next leader decides
      const res = await store.txn({ compare: compare ? [compare] : [], success: ops.slice(i, i + MAX_TXN_OPS) });
      if (!res.succeeded) return;
    }
    for (const d of decided) {
      autoscaleDecisions.inc({ action: actionOf(d.from, d.record.replicas) });
      log.info({ event: 'autoscale', site: d.site.name, replicas: d.record.replicas, from: d.from }, d.record.reason);
      await events.record({
        type: 'farm', action: actionOf(d.from, d.record.replicas), site: d.site.name, customer: d.site.customer, target: `site/${d.site.name}`,
        message: `${d.site.name}: ${d.from ?? '–'} → ${d.record.replicas} replica(s): ${d.record.reason}`,
      }).catch((err: unknown) => log.error({ err }, 'could not record an autoscale event'));
    }
  };

  const runOnce = (): Promise<void> => {
    const p = chain.then(pass);
    chain = p.catch((err: unknown) => log.error({ event: 'autoscale.error', err }, 'autoscale pass failed'));
    return p;
  };
  const tick = (): void => {
    if (!closed) void runOnce().catch(() => {});
  };

  const wakeWatch: Watcher = await store.watch(keys.wakes, (evs) => {
    if (evs.some((e) => e.type === 'put')) tick();
  });
  const timer = setInterval(tick, timing.tickMs);
  timer.unref();
  tick();

  return {
    runOnce,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      wakeWatch.close();
      await chain;
    },
  };
}

/** scale.out, scale.in, scale.zero (stopped for idleness), scale.wake (from zero), scale.start (first decision). */
function actionOf(from: number | undefined, to: number): string {
  if (from === undefined) return 'scale.start';
  if (to === 0) return 'scale.zero';
  if (from === 0) return 'scale.wake';
  return to > from ? 'scale.out' : 'scale.in';
}

/** Sites and scale records read from the store (an autoscaler without a view). */
async function readFromStore(store: Store): Promise<AutoscaleView> {
  const [sites, scales] = await Promise.all([store.range(keys.sites), store.range(keys.scales)]);
  return { sites: parseAll<Site>(sites), scales: new Map(parseAll<ScaleRecord>(scales).map((r) => [r.site, r])) };
}

/** The autoscaled sites of a list, picked out again only when given another list. */
function autoscaledPicker(): (sites: readonly Site[]) => readonly Site[] {
  // the list it came from, held weakly: once the mirror has a newer one, the old one's
  // records (≈ 4 MB at 10,000 sites) are garbage, not kept for a comparison
  let from: WeakRef<readonly Site[]> | undefined;
  let picked: readonly Site[] = [];
  return (sites) => {
    if (sites !== from?.deref()) {
      picked = sites.filter((s) => s.autoscale);
      from = new WeakRef(sites);
    }
    return picked;
  };
}

/** The records of a range that parse (the others are skipped). */
function parseAll<T>(r: { kvs: { value: string }[] } | undefined): T[] {
  return (r?.kvs ?? []).flatMap((kv) => { try { return [JSON.parse(kv.value) as T]; } catch { return []; } });
}

/** The site's memory; its idle clock starts when this autoscaler first sees it (a new leader has not seen the routers before). */
function remember(memory: Map<string, SiteMemory>, site: Site, now: number): SiteMemory {
  let mem = memory.get(site.name);
  if (!mem) memory.set(site.name, (mem = { samples: [], lastActiveAt: now, release: site.release }));
  return mem;
}

