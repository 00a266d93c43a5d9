// The farm as the reconciler sees it, kept in memory: one range per prefix, then one
// watch on the farm's root, so a pass reads nothing from the store but its revision.
//
// How it stays exact:
//   1. note the store revision R0 and watch `keys.all` from R0 + 1 (events buffered);
//   2. range each prefix (each at its own revision r ≥ R0); an event is applied to a
//      prefix only when newer than that prefix's range;
//   3. the mirror equals a fresh read at revision D once every revision up to D has been
//      delivered and D ≥ every r. Every farm write is under `keys.all`, so each revision
//      arrives as an event: `sync()` reads the store's revision and waits until D reaches it.
// A broken watch (compaction, a closed stream) throws the state away; the next sync
// ranges again.

import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';
import { keys, parseShared, type Assignment, type DatabaseRecord, type EngineRecord, type Release, type Route, type ScaleRecord, type Site, type UnplacedRecord, type VsStatus } from '../model/index.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { byUtf8 } from '../lib/text-order.ts';
import { SiteTable } from './site-index.ts';
import type { FarmSnapshot } from './plan.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import { databaseLogins } from './database-logins.ts';

export interface FarmMirrorOptions {
  store: Store;
  /** Opens databases' passwords (as readSnapshot); without it the snapshot has no `databases`. */
  databaseSecrets?: DatabaseSecrets;
  /** Called after a delivered revision changed mirrored records: their prefixes and the events that did. */
  onChange?: (prefixes: Set<string>, events: WatchEvent[]) => void;
  /** Called when the mirror (re)reads the farm: changes until then were not reported one by one. */
  onReload?: () => void;
  log?: Logger;
}

export interface FarmMirror {
  /** Wait until the mirror holds every revision the store had when called (ranging again after a broken watch). */
  sync(): Promise<void>;
  /** The snapshot as of the last delivered revision; unchanged parts are the same objects as in the last one, and its maps are patched in place by later writes (read only, and at once). */
  snapshot(): FarmSnapshot;
  /** One mirrored prefix's records as stored, in key order, as of the last delivered revision (read only; a later write copies the array). */
  records<T>(prefix: string): readonly T[];
  /** The revision the snapshot is exact at (0 before the first sync). */
  revision(): number;
  close(): void;
}

/** The prefixes readSnapshot reads, databases last (only with secrets). */
export const MIRRORED = [keys.sites, keys.releases, keys.engines, keys.assignments, keys.vsStatuses, keys.routes, keys.engineDrains, keys.scales, keys.unplaced, keys.databases];

export function createFarmMirror(opts: FarmMirrorOptions): FarmMirror {
  const { store } = opts;
  const log = opts.log ?? silentLogger;
  const prefixes = opts.databaseSecrets ? MIRRORED : MIRRORED.filter((p) => p !== keys.databases);
  let state: MirrorState | undefined;
  let loading: Promise<MirrorState> | undefined;
  let closed = false;
  let derived: Partial<Record<keyof FarmSnapshot, unknown>> = {};

  const load = async (): Promise<MirrorState> => {
    const s = new MirrorState(prefixes);
    const from = (await store.revision()) + 1;
    s.delivered = from - 1;
    const onError = (err: Error): void => {
      if (s.dead) return;
      log.warn({ event: 'reconcile.mirror_reset', err }, 'farm mirror watch broke; reading the farm again');
      s.broken = err;
      s.kill();
      if (state === s) state = undefined;
    };
    s.watcher = await store.watch(keys.all, (events, revision) => {
      if (s.dead) return;
      const applied: WatchEvent[] = [];
      const writes: Write[] = [];
      const changed = s.apply(events, revision, applied, writes);
      if (changed.size === 0 || state !== s) return;
      // a keyed map and the site index are patched record by record; anything else derived is made again when asked
      const unpatched = new Set<string>();
      for (const w of writes) {
        if (w.prefix === keys.sites && derived.siteIndex instanceof SiteTable && !derived.siteIndex.patch(w.before as Site | undefined, w.after as Site | undefined)) delete derived.siteIndex;
        const keyed = KEYED[w.prefix];
        if (keyed && derived[keyed.field] instanceof Map && patchKeyed(derived[keyed.field] as Map<string, unknown>, keyed.key, w)) continue;
        unpatched.add(w.prefix); // made again below
      }
      for (const p of changed) {
        if (KEYED[p] && !unpatched.has(p)) continue;
        for (const field of DEPENDS[p] ?? []) delete derived[field];
      }
      opts.onChange?.(changed, applied);
    }, { fromRevision: from, onError });
    try {
      const ranges = await Promise.all(prefixes.map((p) => store.range(p)));
      ranges.forEach((r, i) => s.fill(prefixes[i] as string, r.kvs, r.revision));
    } catch (err) {
      s.kill();
      throw err;
    }
    if (s.broken) throw s.broken;
    return s;
  };

  const current = async (): Promise<MirrorState> => {
    if (closed) throw new Error('farm mirror closed');
    if (state) return state;
    loading ??= load().finally(() => (loading = undefined));
    const s = await loading;
    if (closed) s.kill();
    if (s.broken) throw s.broken;
    if (!state && !s.dead) {
      state = s;
      derived = {};
      opts.onReload?.();
    }
    return s;
  };

  const sync = async (): Promise<void> => {
    for (;;) {
      const s = await current();
      const target = await store.revision();
      await s.reach(Math.max(target, s.floor()));
      if (s === state) return;
      if (closed) throw new Error('farm mirror closed');
    }
  };

  return {
    sync,
    snapshot() {
      const s = state;
      if (!s) throw new Error('farm mirror not synced');
      const list = <T>(p: string): T[] => s.list(p) as T[];
      const get = <K extends keyof FarmSnapshot>(field: K, make: () => FarmSnapshot[K]): FarmSnapshot[K] =>
        (derived[field] ??= make()) as FarmSnapshot[K];
      const secrets = opts.databaseSecrets;
      return {
        sites: get('sites', () => list<Site>(keys.sites)),
        siteIndex: get('siteIndex', () => SiteTable.of(list<Site>(keys.sites))),
        releases: get('releases', () => keyedMap(list<Release>(keys.releases), KEYED[keys.releases]!.key)),
        engines: get('engines', () => {
          const drained = new Set(s.keysOf(keys.engineDrains).map((k) => k.slice(keys.engineDrains.length)));
          return list<EngineRecord>(keys.engines).map((e) => (drained.has(e.id) ? { ...e, draining: true } : e));
        }),
        assignments: get('assignments', () => list<Assignment>(keys.assignments)),
        statuses: get('statuses', () => keyedMap(list<VsStatus>(keys.vsStatuses), KEYED[keys.vsStatuses]!.key)),
        routes: get('routes', () => keyedMap(list<Route>(keys.routes), KEYED[keys.routes]!.key)),
        scales: get('scales', () => keyedMap(list<ScaleRecord>(keys.scales), KEYED[keys.scales]!.key)),
        unplaced: get('unplaced', () => keyedMap(list<UnplacedRecord>(keys.unplaced), KEYED[keys.unplaced]!.key)),
        ...(secrets ? { databases: get('databases', () => databaseLogins(list<DatabaseRecord>(keys.databases), secrets)) } : {}),
      };
    },
    records<T>(prefix: string): readonly T[] {
      if (!state) throw new Error('farm mirror not synced');
      return state.list(prefix) as T[];
    },
    revision: () => state?.delivered ?? 0,
    close() {
      closed = true;
      state?.kill();
      state = undefined;
    },
  };
}

/** Which snapshot fields each prefix feeds. */
const DEPENDS: Record<string, (keyof FarmSnapshot)[]> = {
  [keys.sites]: ['sites'], [keys.releases]: ['releases'], [keys.engines]: ['engines'], [keys.engineDrains]: ['engines'],
  [keys.assignments]: ['assignments'], [keys.vsStatuses]: ['statuses'], [keys.routes]: ['routes'], [keys.scales]: ['scales'],
  [keys.unplaced]: ['unplaced'], [keys.databases]: ['databases'],
};

/**
 * The snapshot's maps, each keyed by a field of its records. While no two records share a
 * map key, a map once made is patched in place by each write (a status rewritten with its
 * usage no longer rebuilds the map of every status); the plan reads them synchronously.
 */
const KEYED: Record<string, { field: keyof FarmSnapshot; key: (record: never) => string }> = {
  [keys.releases]: { field: 'releases', key: (r: Release) => `${r.site}/${r.id}` },
  [keys.vsStatuses]: { field: 'statuses', key: (x: VsStatus) => x.vs },
  [keys.routes]: { field: 'routes', key: (r: Route) => r.site },
  [keys.scales]: { field: 'scales', key: (r: ScaleRecord) => r.site },
  [keys.unplaced]: { field: 'unplaced', key: (r: UnplacedRecord) => r.site },
};

/** One record written: its prefix, the record before (undefined: none) and after (undefined: deleted). */
interface Write {
  prefix: string;
  before: unknown;
  after: unknown;
}

/** The map of records by key; a key two records share marks it (`unpatchable`): such a map is made afresh on every change. */
function keyedMap<T>(records: readonly T[], key: (record: never) => string): Map<string, T> {
  const map = new Map(records.map((r) => [key(r as never), r]));
  if (map.size !== records.length) unpatchable.add(map);
  return map;
}

const unpatchable = new WeakSet<Map<string, unknown>>();

/** Apply one write to a keyed map; false when it cannot be patched exactly (a shared key). */
function patchKeyed(map: Map<string, unknown>, key: (record: never) => string, w: Write): boolean {
  if (unpatchable.has(map)) return false;
  const keyOf = (r: unknown): string | undefined => {
    try {
      return key(r as never);
    } catch {
      return undefined;
    }
  };
  const before = w.before === undefined ? undefined : keyOf(w.before);
  const after = w.after === undefined ? undefined : keyOf(w.after);
  if ((w.before !== undefined && (before === undefined || map.get(before) !== w.before)) || (w.after !== undefined && after === undefined)) return false;
  if (after !== undefined && after !== before && map.has(after)) return false; // another record has that key
  if (before !== undefined) map.delete(before);
  if (after !== undefined) map.set(after, w.after);
  return true;
}

/** One prefix: its keys in store order and their records at the same index; `shared` once handed out (then copied on write). */
interface Table {
  rangeRevision: number;
  keys: string[];
  values: unknown[];
  shared: boolean;
}

class MirrorState {
  watcher?: Watcher;
  broken?: Error;
  dead = false;
  delivered = 0;
  private readonly tables = new Map<string, Table>();
  private readonly pending: { events: WatchEvent[]; revision: number }[] = [];
  private waiters: { revision: number; resolve: () => void }[] = [];

  constructor(private readonly prefixes: string[]) {}

  fill(prefix: string, kvs: KeyValue[], revision: number): void {
    this.tables.set(prefix, { rangeRevision: revision, keys: kvs.map((kv) => kv.key), values: kvs.map((kv) => parseShared(kv.value)), shared: false });
    if (this.tables.size === this.prefixes.length) {
      for (const { events, revision: r } of this.pending.splice(0)) this.apply(events, r);
    }
  }

  /** Apply one revision's events; returns the prefixes it changed (buffered while the ranges are still being read). */
  apply(events: WatchEvent[], revision: number, applied: WatchEvent[] = [], writes: Write[] = []): Set<string> {
    const changed = new Set<string>();
    if (this.tables.size < this.prefixes.length) {
      this.pending.push({ events, revision });
      return changed;
    }
    for (const ev of events) {
      const prefix = this.prefixes.find((p) => ev.kv.key.startsWith(p));
      const table = prefix === undefined ? undefined : this.tables.get(prefix);
      if (!prefix || !table || revision <= table.rangeRevision) continue;
      const w = write(table, ev);
      if (!w) continue;
      changed.add(prefix);
      applied.push(ev);
      writes.push({ prefix, ...w });
    }
    this.delivered = Math.max(this.delivered, revision);
    this.waiters = this.waiters.filter((w) => (w.revision <= this.delivered ? (w.resolve(), false) : true));
    return changed;
  }

  /** The latest range's revision: the mirror is exact once delivery reaches it. */
  floor(): number {
    let max = 0;
    for (const t of this.tables.values()) max = Math.max(max, t.rangeRevision);
    return max;
  }

  reach(revision: number): Promise<void> {
    if (this.delivered >= revision || this.dead) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  /** Stop: wake every waiter (they find the state gone and sync again). */
  kill(): void {
    this.dead = true;
    this.watcher?.close();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  keysOf(prefix: string): readonly string[] {
    return this.table(prefix).keys;
  }

  /** The prefix's records in key order; the array is not changed afterwards (the next write copies it). */
  list(prefix: string): unknown[] {
    const t = this.table(prefix);
    t.shared = true;
    return t.values;
  }

  private table(prefix: string): Table {
    const t = this.tables.get(prefix);
    if (!t) throw new Error(`farm mirror: ${prefix} not mirrored`);
    return t;
  }
}

/** Put or delete one key in its table, keeping key order; the record before and after, or undefined when nothing changed. */
function write(t: Table, ev: WatchEvent): { before: unknown; after: unknown } | undefined {
  const at = search(t.keys, ev.kv.key);
  const found = at < t.keys.length && t.keys[at] === ev.kv.key;
  if (ev.type === 'delete' && !found) return undefined;
  if (t.shared) {
    t.values = t.values.slice();
    t.keys = t.keys.slice();
    t.shared = false;
  }
  const before = found ? t.values[at] : undefined;
  if (ev.type === 'delete') {
    t.keys.splice(at, 1);
    t.values.splice(at, 1);
    return { before, after: undefined };
  }
  const after: unknown = parseShared(ev.kv.value);
  if (found) t.values[at] = after;
  else {
    t.keys.splice(at, 0, ev.kv.key);
    t.values.splice(at, 0, after);
  }
  return { before, after };
}

/** The first index whose key is not below key. */
function search(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byUtf8(sorted[mid] as string, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
