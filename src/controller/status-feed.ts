// The farm view of GET /v1/status, kept for the status stream's clients (routes/status-stream.ts).
//
// What a push costs does not grow with the farm per change and per client:
//   - the records come from a farm mirror (farm-mirror.ts: one range per prefix when the first
//     client comes, then one watch), not from re-reading every prefix on each change;
//   - changes are coalesced: a build takes every change since the last one, and builds are
//     rationed (a bucket of BUILD_BURST, one more each COALESCE_MS): the few changes of a
//     rollout go out at once, a storm of them as one build per COALESCE_MS. A build is
//     shared by every client of the same scope (the admins'; each customer's), which all
//     get the same JSON;
//   - a site's JSON is made once per record and reused until the record changes;
//   - the TICK_MS tick (CPU and memory figures no record holds) builds nothing unless a
//     figure moved.
// The view is scoped exactly as GET /v1/status scopes it (farm-view.ts scopedView). The
// mirror and the leader's watch live while a client does.

import { keys, type Assignment, type EngineRecord, type Route, type Site, type VirtualServerView, type VsStatus } from '../model/index.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import type { Store, Watcher } from '../store/types.ts';
import type { Scope } from './access.ts';
import { createFarmMirror, type FarmMirror } from './farm-mirror.ts';
import { mergeViews, scopedView, siteServers, wantedReplicas, withoutPages, withUsage, type StartFacts } from './farm-view.ts';
import { farmRollouts } from './site-rollout.ts';
import type { FarmSnapshot } from './plan.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import { loginUserOf } from './database-logins.ts';
import { readLeader, type LeaderRecord } from './leader.ts';
import type { ControllerOptions } from './options.ts';
import { cappedBy } from './pool-capped.ts';

const TICK_MS = 2_000;
const COALESCE_MS = 250;
export const BUILD_BURST = 8;

export interface StatusFeedOptions {
  store: Store;
  vsUsage?: ControllerOptions['vsUsage'];
  /** Opens the databases' logins, to tell which servers run as their site says (farm-view.ts markDraining). */
  databaseSecrets?: DatabaseSecrets;
  /** Past BUILD_BURST builds in a row, builds at most once per this many ms (default COALESCE_MS). */
  coalesceMs?: number;
  /** How often the usage figures are looked at (default TICK_MS). */
  tickMs?: number;
  log?: Logger;
}

export interface StatusFeed {
  /** send gets the scope's view as JSON now (once built) and each time it changes; returns the unsubscribe. */
  subscribe(scope: Scope, send: (json: string) => void): () => void;
  /** Builds so far (each: one view per scope with clients). */
  builds(): number;
  close(): void;
}

export function createStatusFeed(opts: StatusFeedOptions): StatusFeed {
  const { store, vsUsage } = opts;
  const log = opts.log ?? silentLogger;
  const coalesceMs = opts.coalesceMs ?? COALESCE_MS;
  const groups = new Map<string, Group>();
  let live: Live | undefined;
  let farmChanged = true; // the records changed since the last build
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> | undefined;
  let credit = { builds: BUILD_BURST, at: Date.now() }; // the bucket
  let wanted = false; // a build was asked for since the last one started
  let builds = 0;
  let closed = false;

  /** A build soon: at once while the bucket holds one, else once it refills. */
  const schedule = (): void => {
    wanted = true;
    if (closed || timer || building || groups.size === 0) return;
    const now = Date.now();
    credit = { builds: Math.min(BUILD_BURST, credit.builds + (now - credit.at) / coalesceMs), at: now };
    timer = setTimeout(() => {
      timer = undefined;
      wanted = false;
      credit = { builds: Math.min(BUILD_BURST, credit.builds + (Date.now() - credit.at) / coalesceMs) - 1, at: Date.now() };
      building = build().finally(() => {
        building = undefined;
        if (wanted) schedule(); // asked for during the build
      });
    }, Math.max(0, (1 - credit.builds) * coalesceMs));
  };
  const changed = (): void => {
    farmChanged = true;
    schedule();
  };

  const build = async (): Promise<void> => {
    let l = live;
    try {
      l ??= await startLive(store, opts.databaseSecrets, changed, log);
      if (l !== live && (closed || groups.size === 0 || live)) return l.close(); // the last client left meanwhile
      live = l;
      await l.mirror.sync();
      wanted = false; // every change reported until now is in the mirror, and so in this build
    } catch (err) {
      log.warn({ err }, 'status stream: reading the farm failed');
      return;
    }
    if (l !== live || groups.size === 0) return;
    builds++;
    // everything below is synchronous: the mirror's maps are read as of the sync
    const fresh = farmChanged;
    farmChanged = false;
    if (fresh || !l.merged) l.refresh();
    // a VS in several scopes' views is read once a build; a build the tick asked for shows the figures it read
    const usage = vsUsage && (tickReadings ?? readOnce(vsUsage));
    tickReadings = undefined;
    for (const g of groups.values()) {
      if (fresh || !g.parts) g.parts = l.partsFor(g.scope);
      const json = g.parts.json(usage);
      if (json === g.last) continue;
      g.last = json;
      for (const send of g.clients) send(json);
    }
  };

  // the usage figures: a build only when one moved. No view yet (the store failed) or a
  // mirror whose watch broke: the farm is read again.
  let usageMark = '';
  let tickReadings: Usage | undefined;
  const tick = setInterval(() => {
    if (groups.size === 0 || building) return;
    if (!live?.merged || live.mirror.revision() === 0) return changed();
    if (!vsUsage) return;
    const readings = readOnce(vsUsage);
    const mark = usageFigures(live.merged, readings);
    if (mark === usageMark) return;
    usageMark = mark;
    tickReadings = readings;
    schedule();
  }, opts.tickMs ?? TICK_MS);
  tick.unref();

  return {
    subscribe(scope, send) {
      const key = scope.customer === undefined ? '' : `c:${scope.customer}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { scope, clients: new Set() }));
      g.clients.add(send);
      if (g.last !== undefined) send(g.last);
      else schedule();
      const group = g;
      return () => {
        group.clients.delete(send);
        if (group.clients.size > 0) return;
        groups.delete(key);
        if (groups.size === 0) stopLive();
      };
    },
    builds: () => builds,
    close() {
      closed = true;
      clearInterval(tick);
      clearTimeout(timer);
      groups.clear();
      stopLive();
    },
  };

  function stopLive(): void {
    live?.close();
    live = undefined;
    farmChanged = true;
  }
}

interface Group {
  scope: Scope;
  clients: Set<(json: string) => void>;
  parts?: ViewParts;
  /** The JSON last sent to this scope's clients. */
  last?: string;
}

/** A scope's view as JSON pieces; json() adds the usage figures as of now. */
interface ViewParts {
  json(usage: StatusFeedOptions['vsUsage']): string;
}

interface Live {
  mirror: FarmMirror;
  /** Every assignment and status merged (mergeViews), as of the last refresh. */
  merged?: VirtualServerView[];
  refresh(): void;
  partsFor(scope: Scope): ViewParts;
  close(): void;
}

/** The mirror and the leader's watch, and what is built from them once per change for every scope. */
async function startLive(store: Store, databaseSecrets: DatabaseSecrets | undefined, changed: () => void, log: Logger): Promise<Live> {
  const mirror = createFarmMirror({ store, ...(databaseSecrets ? { databaseSecrets } : {}), onChange: changed, onReload: changed, log });
  let leader: LeaderRecord | undefined;
  let watcher: Watcher | undefined;
  const readLeaderNow = (): void => {
    readLeader(store).then((l) => {
      leader = l;
      changed();
    }, (err: unknown) => log.warn({ err }, 'status stream: reading the leader failed'));
  };
  try {
    watcher = await store.watch(keys.leader, readLeaderNow);
    leader = await readLeader(store);
  } catch (err) {
    watcher?.close();
    mirror.close();
    throw err;
  }
  // takingWork: the engines as the scheduler sees them (drained ones marked), what a pooled site's capped figure counts
  let farm: { sites: readonly Site[]; engines: readonly EngineRecord[]; takingWork: readonly EngineRecord[]; routes: ReadonlyMap<string, Route>; scales: FarmSnapshot['scales']; unplaced: FarmSnapshot['unplaced']; starts: StartFacts } | undefined;
  const live: Live = {
    mirror,
    refresh() {
      const snap = mirror.snapshot();
      const assignments = mirror.records<Assignment>(keys.assignments) as Assignment[];
      live.merged = mergeViews(assignments, mirror.records<VsStatus>(keys.vsStatuses) as VsStatus[]);
      const starts: StartFacts = { assignments: new Map(assignments.map((a) => [a.vs, a])), login: (site) => loginUserOf(site, snap.databases) };
      farm = { sites: snap.sites, engines: mirror.records<EngineRecord>(keys.engines), takingWork: snap.engines, routes: snap.routes, scales: snap.scales, unplaced: snap.unplaced, starts };
    },
    partsFor(scope) {
      if (!farm || !live.merged) throw new Error('status feed: not refreshed');
      const view = scopedView(scope, farm.sites, live.merged, farm.routes, farm.starts);
      const admin = scope.customer === undefined;
      const capped = cappedBy(view.sites, farm.takingWork); // per site: the scope's sites' own
      const rollouts = farmRollouts(view.sites, siteServers(view), farm.starts, farm.routes, wantedReplicas(capped, farm.scales), farm.unplaced);
      // key order as JSON.stringify of GET /v1/status's answer: engines, sites, virtualServers, leader, capped, rollouts
      const head = `{"engines":${admin ? JSON.stringify(farm.engines) : '[]'},"sites":[${view.sites.map(siteJson).join(',')}],"virtualServers":`;
      const tail = `${admin && leader ? `,"leader":${JSON.stringify(leader)}` : ''}${capped ? `,"capped":${JSON.stringify(capped)}` : ''},"rollouts":${JSON.stringify(rollouts)}}`;
      return { json: (usage) => `${head}${JSON.stringify(withUsage(view.virtualServers, usage))}${tail}` };
    },
    close() {
      watcher?.close();
      mirror.close();
    },
  };
  return live;
}

/** A site's JSON as the status views show it (withoutPages), made once per record. */
function siteJson(site: Site): string {
  let json = siteJsons.get(site);
  if (json === undefined) siteJsons.set(site, (json = JSON.stringify(withoutPages(site))));
  return json;
}

const siteJsons = new WeakMap<Site, string>();

/** The usage figures the views would show now, as one string to compare. */
function usageFigures(views: readonly VirtualServerView[], usage: NonNullable<StatusFeedOptions['vsUsage']>): string {
  return withUsage(views.filter((v) => !v.usage && v.pid !== undefined && v.state !== undefined), usage).map((v) => `${v.vs} ${v.memoryBytes} ${v.cpuSeconds}`).join('\n');
}

type Usage = NonNullable<StatusFeedOptions['vsUsage']>;

/** The usage reader, each VS (engine and pid) read at most once. */
function readOnce(usage: Usage): Usage {
  const seen = new Map<string, ReturnType<Usage>>();
  return (v) => {
    const key = `${v.engine}/${v.pid ?? ''}`;
    if (!seen.has(key)) seen.set(key, usage(v));
    return seen.get(key);
  };
}
