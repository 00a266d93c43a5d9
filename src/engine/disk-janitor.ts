// What a deleted site left on this engine's disk goes: its data folder, the namespace
// runtime's data image, the logs of its VSs, and unpacked releases nothing needs.
//
// How an engine learns a site was deleted (it may run on another host and sees only the
// store): everything it keeps is keyed by the site's storage key — the site's immutable
// random id (model/site-id.ts), or its name for a site from an older store without one —
// and it keeps exactly what belongs to a site still in the store or to an assignment it
// still has. No tombstones: the store's `sites/` is the truth, so an engine that was
// offline during a delete (or crashed mid-sweep) cleans up at its next sweep, and a site
// re-created under the same name has another id, so it never sees the old data.
//
// A sweep: list the disk → read sites and release records → decide (planSweep, pure) →
// remove, re-checking just before each removal that no VS of this engine uses the key
// (the agent's units, stopping ones included, and its assignments). Listing before
// reading means a folder seen on disk belongs to a site created before the read, so a
// live site is always in it. A mounted data folder (a guest still holds it) is skipped,
// with its image, until a later sweep.
// Sweeps run at start, when a site record is deleted, when a VS of this engine stopped,
// and every intervalMs.
//
// Unpacked releases kept: those of this engine's assignments, and the current and
// previous release of every site in the store (a rollback starts without fetching and
// unpacking again); the rest (older releases, deleted sites') are removed, and so are the
// pools' idle copies of them (trimPools).

import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import { createSweeper, type Sweeper } from '../lib/sweeper.ts';
import { keys, siteStorageKey, type Release, type Site } from '../model/index.ts';
import type { Store, Watcher } from '../store/types.ts';
import type { VsLogMeta } from './logs.ts';
import { isMountPoint } from './namespace/data-disk.ts';
import { enginePaths } from './paths.ts';
import type { ReleaseCache } from './release-cache.ts';

/** What is on the engine's disk, by owner. */
export interface DiskInventory {
  /** `data/<key>` folders. */
  data: string[];
  /** `data/.disk/<key>.ext4` (and `.new`, `.mnt` leftovers): file name → key. */
  images: Map<string, string>;
  /** Log files by VS, with the storage key of its site when its meta file names it, and when one was last written (ms). */
  logs: Map<string, { siteKey?: string; files: string[]; writtenAt?: number }>;
  /** `releases/<sha256>`. */
  releases: string[];
}

/** What the store says lives. */
export interface LiveSet {
  siteKeys: ReadonlySet<string>;
  /** sha256 of each site's current and previous release. */
  releases: ReadonlySet<string>;
}

/** What this engine's VSs use now. */
export interface InUse {
  siteKeys: ReadonlySet<string>;
  vs: ReadonlySet<string>;
  releases: ReadonlySet<string>;
}

export interface SweepPlan {
  /** Storage keys whose data folder goes. */
  data: string[];
  /** Image file names (under data/.disk) that go. */
  images: string[];
  /** VSs whose log files go. */
  logs: string[];
  /** The unpacked releases to keep (ReleaseCache.prune). */
  keepReleases: Set<string>;
}

export interface DiskJanitor {
  /** Sweep once at start, then watch the store's sites. */
  start(): Promise<void>;
  /** Ask for a sweep soon (e.g. a VS stopped). */
  kick(): void;
  /** Sweep now and wait for it. */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

export interface DiskJanitorOptions {
  dir: string;
  store: Store;
  releases: ReleaseCache;
  inUse: () => InUse;
  log: Logger;
  /** Default 10 minutes. */
  intervalMs?: number;
  /** Each sweep: pool VSs drop their idle release copies of releases not kept (pool-unit.ts `trim`). */
  trimPools?: (keep: ReadonlySet<string>) => Promise<void>;
}

/**
 * How long the logs of a VS retired from a site that lives on are kept after their last
 * line: `corral logs` shows the newest few of them (what explains a deploy gone wrong);
 * without a bound, every deploy left its servers' logs (up to twice the rotation size
 * each) for as long as the site lived.
 */
export const RETIRED_LOGS_KEEP_MS = 7 * 24 * 3600_000;

/**
 * The decision, pure: what is neither live in the store nor used here goes; so do the logs
 * of a VS not running here last written more than RETIRED_LOGS_KEEP_MS before `now`. A log
 * without a meta file is kept (its site is unknown).
 */
export function planSweep(disk: DiskInventory, live: LiveSet, used: InUse, now = Date.now()): SweepPlan {
  const owned = (key: string) => live.siteKeys.has(key) || used.siteKeys.has(key);
  const stale = (l: { writtenAt?: number }) => l.writtenAt !== undefined && now - l.writtenAt > RETIRED_LOGS_KEEP_MS;
  return {
    data: disk.data.filter((key) => !owned(key)),
    images: [...disk.images].filter(([, key]) => !owned(key)).map(([file]) => file),
    logs: [...disk.logs].filter(([vs, l]) => !used.vs.has(vs) && l.siteKey !== undefined && (!owned(l.siteKey) || stale(l))).map(([vs]) => vs),
    keepReleases: new Set([...live.releases, ...used.releases]),
  };
}

export function createDiskJanitor(opts: DiskJanitorOptions): DiskJanitor {
  const paths = enginePaths(opts.dir);
  const { log } = opts;
  let watcher: Watcher | undefined;

  async function sweep(): Promise<void> {
    const disk = await inventory(paths, opts.releases);
    const live = await readLiveSet(opts.store);
    const plan = planSweep(disk, live, opts.inUse());
    const busy = new Set<string>();
    for (const key of plan.data) {
      if (opts.inUse().siteKeys.has(key)) continue;
      const dir = path.join(paths.data, key);
      if (await isMountPoint(dir).catch(() => false)) {
        busy.add(key);
        log.warn({ event: 'engine.site_data_busy', site: key, dir }, "site's data folder still in use: kept");
        continue;
      }
      await rm(dir, { recursive: true, force: true });
      log.info({ event: 'engine.site_data_removed', site: key }, "deleted site's data removed");
    }
    for (const file of plan.images) {
      const key = disk.images.get(file)!;
      if (opts.inUse().siteKeys.has(key) || busy.has(key)) continue;
      const p = path.join(paths.data, '.disk', file);
      if (await isMountPoint(p).catch(() => false)) continue; // a `.mnt` staging folder still mounted
      await rm(p, { recursive: true, force: true });
      log.info({ event: 'engine.site_image_removed', site: key, file }, "deleted site's disk image removed");
    }
    for (const vs of plan.logs) {
      if (opts.inUse().vs.has(vs)) continue;
      for (const f of disk.logs.get(vs)!.files) await rm(path.join(paths.logs, f), { force: true });
      log.info({ event: 'engine.vs_logs_removed', vs }, "gone virtual server's logs removed");
    }
    // in use now, not only when the plan was made
    const keep = new Set([...plan.keepReleases, ...opts.inUse().releases]);
    const pruned = await opts.releases.prune(keep);
    if (pruned.length > 0) log.info({ event: 'engine.releases_pruned', releases: pruned }, 'unused releases removed');
    await opts.trimPools?.(keep);
  }

  const sweeper: Sweeper = createSweeper({
    pass: sweep,
    intervalMs: opts.intervalMs ?? 10 * 60_000,
    debounceMs: 500,
    onError: (err) => log.warn({ event: 'engine.sweep_failed', err }, 'disk sweep failed'),
  });

  return {
    async start() {
      watcher = await opts.store.watch(keys.sites, (events) => {
        if (events.some((e) => e.type === 'delete')) sweeper.kick();
      });
      sweeper.kick();
    },
    kick: () => sweeper.kick(),
    runOnce: () => sweeper.runOnce(),
    async close() {
      watcher?.close();
      await sweeper.close();
    },
  };
}

/** The sites in the store and the releases they may serve (current, previous). */
async function readLiveSet(store: Store): Promise<LiveSet> {
  const [sites, releases] = await Promise.all([store.range(keys.sites), store.range(keys.releases)]);
  const bySiteRelease = new Map<string, string>();
  for (const kv of releases.kvs) {
    const r = JSON.parse(kv.value) as Release;
    bySiteRelease.set(`${r.site}/${r.id}`, r.sha256);
  }
  const siteKeys = new Set<string>();
  const shas = new Set<string>();
  for (const kv of sites.kvs) {
    const s = JSON.parse(kv.value) as Site;
    siteKeys.add(siteStorageKey(s));
    for (const id of [s.release, s.previousRelease]) {
      const sha = id !== undefined ? bySiteRelease.get(`${s.name}/${id}`) : undefined;
      if (sha) shas.add(sha);
    }
  }
  return { siteKeys, releases: shas };
}

const IMAGE = /^(.+)\.ext4(\.new|\.mnt)?$/;

async function inventory(paths: ReturnType<typeof enginePaths>, releases: ReleaseCache): Promise<DiskInventory> {
  const ls = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  const data = (await ls(paths.data)).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const images = new Map<string, string>();
  for (const e of await ls(path.join(paths.data, '.disk'))) {
    const m = IMAGE.exec(e.name);
    if (m) images.set(e.name, m[1]!);
  }
  // a VS name is a hostname label (no dots): `<vs>.log`, `<vs>.log.1`, `<vs>.meta.json`, `<vs>.meta.json.<pid>.tmp`
  const logs: DiskInventory['logs'] = new Map();
  for (const e of await ls(paths.logs)) {
    const vs = e.name.split('.')[0]!;
    if (!vs) continue;
    const entry = logs.get(vs) ?? { files: [] };
    entry.files.push(e.name);
    logs.set(vs, entry);
  }
  for (const [vs, entry] of logs) {
    const meta = await readFile(path.join(paths.logs, `${vs}.meta.json`), 'utf8').then((t) => JSON.parse(t) as VsLogMeta, () => undefined);
    if (meta?.site) entry.siteKey = meta.siteId ?? meta.site;
    for (const f of entry.files) {
      const st = await stat(path.join(paths.logs, f)).catch(() => undefined);
      if (st && st.mtimeMs > (entry.writtenAt ?? 0)) entry.writtenAt = st.mtimeMs;
    }
  }
  return { data, images, logs, releases: await releases.list() };
}
