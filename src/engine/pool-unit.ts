// One pool assignment on this engine (`assignment.pool`): a single web runtime VS serving
// any number of its customer's static sites (web runtime table mode), changed in place.
//
// On start and on every update(): each site's release is fetched through the release
// cache and hard-linked into the pool's own directory (pool-dir.ts), the table file is
// rewritten atomically with a higher version, and once the runtime answers that version on
// /.corral/sites the VS status shows `sites: { site: release }` — what the controller
// routes by. The VS is never restarted for a table change; release copies no longer in
// the table are kept keepMs (10 min: a site scaled to zero and woken within minutes comes
// back without a fetch or a link), at least drainMs (requests in flight finish on them),
// and a sweep of the disk janitor drops a drained one at once when its release is no
// longer one a site in the store may come back with (trim). A release
// that cannot be fetched keeps the site's previous one (or leaves the site out), and is
// retried with backoff. Memory limit: poolMemoryBytes(sites), raised or lowered in place
// where the runtime can (namespace).

import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { waitFor } from '../lib/wait.ts';
import { poolMemoryMb, type Assignment, type PoolSite } from '../model/index.ts';
import { backoffDelay } from './backoff.ts';
import { writeVsLogMeta } from './logs.ts';
import { assertName, assertSha256 } from './paths.ts';
import { linkRelease, poolPath, removeReleases, TABLE_FILE, tableVersion, writeTable, type PoolTableFile } from './pool-dir.ts';
import { probeTable } from './pool-probe.ts';
import { noteLeftOut, shownSites } from './pool-shown.ts';
import type { VsSpec } from './runtime.ts';
import { createVsSampler, vsStatus } from './vs-sampler.ts';
import { createSupervisor, DEFAULT_TIMING, type Supervisor, type VsSnapshot } from './supervisor.ts';
import { namesRefused, toSpec, type VsUnit, type VsUnitOptions } from './vs-unit.ts';


export { POOL_BASE_MB, POOL_CAP_MB, POOL_PER_SITE_MB } from '../model/index.ts';

const MIB = 2 ** 20;
/** How long a release copy no longer in the table stays (in-flight responses finish). */
export const DEFAULT_POOL_DRAIN_MS = 10_000;
/** How long a release copy no longer in the table is kept for its site coming back (at least the drain). */
export const DEFAULT_POOL_KEEP_MS = 10 * 60_000;
/** At most this many releases fetched and linked at once by one pool. */
const LINK_CONCURRENCY = 4;
/** How long the engine waits for the runtime to show a table it wrote. */
const CONFIRM_TIMEOUT_MS = 15_000;

/**
 * A pool's memory limit: src/model vs-memory.ts poolMemoryMb (128 MiB and 1 a site, at most
 * 512), named there for the scheduler, which reserves it on the engine. The limit is a
 * ceiling, not a use: an idle farm's memory is unchanged.
 */
export function poolMemoryBytes(sites: number): number {
  return poolMemoryMb(sites) * MIB;
}

export interface PoolUnit extends VsUnit {
  /** The pool's assignment changed only in its sites: apply the new table without a restart. */
  update(assignment: Assignment): void;
  /** Remove now the drained copies out of the table whose release is not in keep (the disk janitor's sweep). */
  trim(keep: ReadonlySet<string>): Promise<void>;
}

/** Makes `<poolDir>/<sha256>/` a copy of the unpacked release (pool-dir.ts `linkRelease`). */
export type LinkRelease = (poolDir: string, sha256: string, releaseDir: string) => Promise<void>;

export interface PoolUnitOptions extends VsUnitOptions {
  drainMs?: number;
  /** Default DEFAULT_POOL_KEEP_MS; never less than drainMs. */
  keepMs?: number;
  /** Default linkRelease; tests count the links through it. */
  link?: LinkRelease;
}

/** Same VS, same everything but the sites: an update(), not a replacement. */
export function samePool(a: Assignment, b: Assignment): boolean {
  if (!a.pool || !b.pool) return false;
  const strip = ({ pool: _pool, resources: _r, ...rest }: Assignment) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export function createPoolUnit(opts: PoolUnitOptions): PoolUnit {
  let a = opts.assignment;
  const { log } = opts;
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const drainMs = opts.drainMs ?? DEFAULT_POOL_DRAIN_MS;
  const keepMs = Math.max(opts.keepMs ?? DEFAULT_POOL_KEEP_MS, drainMs);
  const link = opts.link ?? linkRelease;
  const cancel = new AbortController();
  const key = randomBytes(16).toString('hex');
  const dir = poolPath(opts.dir, a.vs);
  let snapshot: VsSnapshot = { vs: a.vs, state: 'queued', restarts: 0 };
  let supervisor: Supervisor | undefined;
  let spec: VsSpec | undefined;
  let preparing: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let silent = false;
  /** The table last written, and the last one the runtime confirmed. */
  let written: PoolTableFile = { version: 0, sites: [] };
  let served: { version: number; sites: Record<string, string> } | undefined;
  /**
   * Site → the last table version written without it (after one with it). A site the runtime
   * confirmed at version v is shown only if no table after v left it out: until the runtime
   * confirms a later table, it may serve the one without it (shown-sites.ts).
   */
  const leftOut = new Map<string, number>();
  /** The sites last reported (JSON). */
  let reported: string | undefined;
  /** Per site, the entry last linked (kept when a new release of it cannot be fetched). */
  const linked = new Map<string, PoolSite>();
  let syncing: Promise<void> = Promise.resolve();
  let syncQueued = false;
  let failures = 0;
  const timers = new Set<NodeJS.Timeout>();
  /** Release copies out of the table, and since when: removed once keepMs has passed. */
  const droppedAt = new Map<string, number>();
  let pruneScheduled = false;

  function report(s: VsSnapshot) {
    snapshot = s;
    if (silent) return;
    const status = vsStatus(a, opts.engineId, s, sampler.current);
    const sites = shown();
    if (sites) status.sites = sites;
    reported = JSON.stringify(sites);
    opts.statuses.set(status);
  }

  /** The sites the status shows now (pool-shown.ts); undefined while the VS is not running. */
  function shown(): Record<string, string> | undefined {
    return served && (snapshot.state === 'ready' || snapshot.state === 'unhealthy') ? shownSites(served, leftOut, a.pool?.sites ?? []) : undefined;
  }

  /** Report again only if the sites shown changed (a site left the assignment or a table). */
  function reportSites() {
    if (JSON.stringify(shown()) !== reported) report(snapshot);
  }

  // Runtime, limits and usage of the running VS (namespace runtime), refreshed while it runs.
  const sampler = createVsSampler(opts.runtime, a.vs, () => report(snapshot));

  function later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!cancel.signal.aborted) fn();
    }, ms);
    timers.add(t);
  }

  // Link every site's release, write the next table, have the runtime confirm it; one at a time, coalesced.
  function sync(): Promise<void> {
    if (syncQueued) return syncing;
    syncQueued = true;
    syncing = syncing.then(async () => {
      syncQueued = false;
      if (cancel.signal.aborted) return;
      const want = a.pool?.sites ?? [];
      const began = performance.now();
      const { failed, held } = await linkAll(want);
      const linkMs = Math.round(performance.now() - began);
      const before = new Set(written.sites.map((e) => e.root));
      const entries = [...new Set(want.map((w) => w.site))].flatMap((site) => linked.get(site) ?? []);
      const next: PoolTableFile = { version: written.version + 1, sites: entries.map((e) => ({ site: e.site, release: e.release, domains: e.domains, root: e.sha256, ...(e.spa === true ? { spa: true } : {}) })) };
      // a site leaving the table leaves the status first (the status writer has it before the
      // table is written), and comes back only once the runtime confirms a table with it
      noteLeftOut(leftOut, written, next);
      written = next;
      reportSites();
      await writeTable(dir, written);
      const tableMs = Math.round(performance.now() - began) - linkMs;
      log.info({ event: 'vs.pool_table_written', vs: a.vs, version: written.version, sites: written.sites.length, linkMs, tableMs }, 'pool site table written');
      // not awaited, and asked at once (the runtime may load it within a millisecond): the
      // bookkeeping and the memory limit below (cgroup writes, a sample) never hold up the
      // report that lets the controller route the new sites; the next batch links meanwhile
      if (snapshot.state === 'ready' || snapshot.state === 'unhealthy') void confirm();
      const now = Date.now();
      const inTable = new Set(written.sites.map((e) => e.root));
      // copies out of the table, those an agent restarted over this pool found too
      for (const sha of new Set([...before, ...held])) if (!inTable.has(sha) && !droppedAt.has(sha)) droppedAt.set(sha, now);
      schedulePrune();
      await resize();
      failures = failed ? failures + 1 : 0;
      if (failed) later(backoffDelay(failures - 1, { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs }), () => void sync());
    }).catch((err: unknown) => log.error({ event: 'vs.pool_sync_failed', err, vs: a.vs }, 'pool site table could not be brought up to date'));
    return syncing;
  }

  /**
   * Prune when the oldest copy out of the table has been kept keepMs. A copy's time is when it
   * left the table, so a later one is never due sooner: one timer at a time is enough.
   */
  function schedulePrune() {
    if (pruneScheduled || droppedAt.size === 0 || cancel.signal.aborted) return;
    pruneScheduled = true;
    later(Math.max(0, Math.min(...droppedAt.values()) + keepMs - Date.now()), () => {
      pruneScheduled = false;
      void prune();
    });
  }

  /**
   * Remove the copies out of the table for keepMs — or, given the releases the disk janitor
   * keeps, for drainMs and not among them —, never one back in it. In the sync chain, so
   * never a copy being linked.
   */
  function prune(janitorKeeps?: ReadonlySet<string>): Promise<void> {
    syncing = syncing.then(async () => {
      const keep = new Set([...linked.values()].map((e) => e.sha256));
      const now = Date.now();
      for (const [sha, at] of droppedAt) {
        const age = now - at;
        if (keep.has(sha) || age >= keepMs || (janitorKeeps && age >= drainMs && !janitorKeeps.has(sha))) droppedAt.delete(sha);
      }
      for (const sha of droppedAt.keys()) keep.add(sha);
      const removed = await removeReleases(dir, keep).catch((err: unknown) => void log.warn({ event: 'vs.pool_prune_failed', err, vs: a.vs }, "pool's old release copies could not be removed"));
      if (removed?.length) log.info({ event: 'vs.pool_releases_removed', vs: a.vs, removed }, "pool's release copies out of its table removed");
      schedulePrune();
    }).catch((err: unknown) => log.warn({ event: 'vs.pool_prune_failed', err, vs: a.vs }, "pool's old release copies could not be removed"));
    return syncing;
  }

  /**
   * Link the wanted releases the pool does not hold yet (one readdir tells which copies are
   * there), LINK_CONCURRENCY at a time; sites gone from the pool are dropped. failed: any
   * could not be fetched; held: the copies that readdir found (every other copy now there
   * was linked for a wanted site).
   */
  async function linkAll(want: PoolSite[]): Promise<{ failed: boolean; held: Set<string> }> {
    let failed = false;
    for (const site of [...linked.keys()]) if (!want.some((e) => e.site === site)) linked.delete(site);
    const held = await copies(dir);
    const missing = new Map<string, PoolSite[]>();
    for (const e of want) {
      try {
        assertName('site', e.site);
        assertSha256(e.sha256);
      } catch (err) {
        failed = true;
        refused(e, err);
        continue;
      }
      if (held.has(e.sha256)) linked.set(e.site, e);
      else missing.set(e.sha256, [...(missing.get(e.sha256) ?? []), e]);
    }
    await eachLimited([...missing], LINK_CONCURRENCY, async ([sha, sites]) => {
      try {
        await link(dir, sha, await opts.releases.ensure(sha, { site: sites[0]!.site, release: sites[0]!.release }));
        for (const e of sites) linked.set(e.site, e);
      } catch (err) {
        // a site that left the pool while its release was linked is not retried (the disk
        // janitor may have removed its unpacked copy meanwhile): the next batch has the latest
        const wanted = sites.filter((e) => a.pool?.sites.some((w) => w.site === e.site && w.sha256 === e.sha256));
        if (wanted.length > 0) failed = true;
        for (const e of wanted) refused(e, err);
        if (wanted.length < sites.length) log.info({ event: 'vs.pool_link_dropped', vs: a.vs, sha256: sha, err }, 'a release left the pool while it was being linked: not retried');
      }
    });
    return { failed, held };
  }

  /** A site whose release could not be linked keeps its previous one (new domains and spa), or stays out. */
  function refused(e: PoolSite, err: unknown) {
    const prev = linked.get(e.site);
    if (prev) linked.set(e.site, { ...prev, domains: e.domains, spa: e.spa });
    log.error({ event: 'vs.release_failed', err, vs: a.vs, site: e.site, sha256: e.sha256 }, "a pooled site's release could not be fetched or unpacked; retrying");
  }

  /** Wait until the runtime shows the table last written (or a later one), then report its sites. */
  async function confirm(): Promise<void> {
    const want = written.version;
    const at = snapshot;
    if (at.address === undefined || at.port === undefined) return;
    const answer = await waitFor(async () => {
      if (cancel.signal.aborted) return { version: want, sites: {} };
      // the runtime answers when it serves `want` (an older runtime at once: polled again)
      const t = await probeTable(at.address!, at.port!, key, { min: want });
      return t && t.version !== null && t.version >= want ? { version: t.version, sites: t.sites } : undefined;
    }, { timeoutMs: CONFIRM_TIMEOUT_MS, intervalMs: 20, what: `pool ${a.vs} to load table ${want}` }).catch((err: unknown) => {
      log.warn({ event: 'vs.pool_table_unconfirmed', err, vs: a.vs }, 'the pool did not show its new site table in time');
      return undefined;
    });
    if (!answer || cancel.signal.aborted) return;
    if (served && served.version > answer.version) return;
    served = answer;
    for (const [site, version] of leftOut) if (version <= answer.version) leftOut.delete(site);
    log.info({ event: 'vs.pool_table_loaded', vs: a.vs, version: answer.version, sites: Object.keys(answer.sites).length }, 'pool serving its new site table');
    report(snapshot);
  }

  async function resize(): Promise<void> {
    const bytes = poolMemoryBytes(a.pool?.sites.length ?? 0);
    if (!spec || spec.limits?.memoryBytes === bytes) return;
    spec.limits = { ...spec.limits, memoryBytes: bytes };
    if (!supervisor || !opts.runtime.setMemoryLimit) return;
    await opts.runtime.setMemoryLimit(a.vs, bytes).catch((err: unknown) => log.warn({ event: 'vs.pool_resize_failed', err, vs: a.vs }, "pool's memory limit could not be changed"));
    await sampler.sample();
  }

  async function prepare() {
    if (namesRefused(a, log)) {
      report({ ...snapshot, state: 'crashed' });
      return;
    }
    report(snapshot);
    written = { version: await tableVersion(dir), sites: [] };
    await sync();
    if (cancel.signal.aborted) return;
    await writeVsLogMeta(opts.dir, { vs: a.vs, site: a.site, ...(a.siteId !== undefined ? { siteId: a.siteId } : {}), customer: a.customer, release: a.release }).catch((err: unknown) =>
      log.warn({ event: 'vs.log_meta_failed', err, vs: a.vs }, "virtual server's log metadata could not be written"),
    );
    const base = toSpec(opts.dir, a, dir);
    spec = { ...base, table: TABLE_FILE, env: { ...base.env, CORRAL_WEB_TABLE_KEY: key }, limits: { ...base.limits, memoryBytes: poolMemoryBytes(a.pool?.sites.length ?? 0) } };
    const onState = (st: VsSnapshot) => {
      if (st.state !== 'ready' && st.state !== 'unhealthy') served = undefined;
      report(st);
      if (st.state === 'ready' || (st.state === 'starting' && !sampler.current?.limits)) void sampler.sample();
      if (st.state === 'ready') void confirm();
    };
    supervisor = createSupervisor({ runtime: opts.runtime, spec, onState, log, timing: opts.timing, ...(opts.startGate ? { startGate: opts.startGate } : {}) });
    supervisor.start();
  }

  function halt(graceMs: number, keepFiles = false): Promise<void> {
    stopping ??= (async () => {
      cancel.abort();
      sampler.stop();
      for (const t of timers) clearTimeout(t);
      if (!supervisor) report({ ...snapshot, state: 'stopping' });
      await preparing;
      await supervisor?.stop(graceMs);
      await syncing;
      // on the engine's stop the copies stay for the next start (10,000 sites' trees took the
      // engine over a minute to remove on Ctrl-C, and as long to link again when it restarted)
      if (!keepFiles) await rm(dir, { recursive: true, force: true }).catch((err: unknown) => log.warn({ event: 'vs.pool_dir_remove_failed', err, vs: a.vs }, "pool's directory could not be removed"));
      if (!silent) await opts.statuses.remove(a.vs);
    })();
    return stopping;
  }

  return {
    get assignment() {
      return a;
    },
    get snapshot() {
      return snapshot;
    },
    start() {
      preparing ??= prepare().catch((err: unknown) => log.error({ event: 'vs.prepare_failed', err, vs: a.vs }, 'virtual server could not be prepared'));
    },
    update(next) {
      a = next;
      log.info({ event: 'vs.pool_changed', vs: a.vs, sites: a.pool?.sites.length ?? 0 }, "pool's sites changed: updating its table in place");
      // a site no longer assigned leaves the status at once, before any table without it
      if (preparing) reportSites();
      if (preparing) void preparing.then(() => sync());
    },
    trim: (keep) => (preparing && !cancel.signal.aborted ? prune(keep) : Promise.resolve()),
    stop: (graceMs, opts) => halt(graceMs, opts?.keepFiles === true),
    kill() {
      silent = true;
      return halt(0);
    },
  };
}

/** The release copies in a pool directory (complete ones: a copy is renamed into place). */
async function copies(dir: string): Promise<Set<string>> {
  return new Set((await readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n)));
}

/** Run fn over items, at most limit at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
