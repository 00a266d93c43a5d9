// What the API's status routes answer (src/controller/routes/status.ts and the status
// stream), declared once for the controller that builds them and the CLI and the web
// console that read them. Types only: it loads nothing (the console imports this file).

import type { EngineRecord, Site, SiteKind, UnplacedRecord, VsStatus } from './records.ts';

/** One VS. Without a status it is not started yet (no state); without an assignment it is going away. */
export interface VirtualServerView {
  vs: string;
  engine: string;
  site: string;
  /** The site's id, when the assignment or status names it: a VS of a deleted namesake is not this site's. */
  siteId?: string;
  release: string;
  customer?: string;
  kind?: SiteKind;
  sha256?: string;
  assigned: boolean;
  state?: VsStatus['state'];
  /**
   * Leaving its site's route: out of it and retired (a deploy, rollback or settings change
   * replaced it, or a scale-down or engine drain left it beyond the servers wanted), never a
   * new server waiting for its rollout's switch. It keeps its open connections until the
   * site's drain timeout, then it is stopped. Its `state` is still the engine's.
   */
  draining?: true;
  address?: string;
  port?: number;
  pid?: number;
  restarts?: number;
  lastExit?: VsStatus['lastExit'];
  updatedAt?: string;
  /** Namespace runtime: the runtime, the VS's limits and sampled usage (see VsStatus). */
  runtime?: VsStatus['runtime'];
  limits?: VsStatus['limits'];
  usage?: VsStatus['usage'];
  /** A pool VS: the sites assigned to it, and those its web runtime serves now (site → release). */
  pool?: string[];
  sites?: VsStatus['sites'];
  /** Resident memory and CPU time used, when the controller can see the process. */
  memoryBytes?: number;
  cpuSeconds?: number;
  /**
   * GET /v1/sites/:name/status only: the server runs what the site says now — its release,
   * started with its command, environment, health path, start deadline and database login (a
   * pool: it shows the site's release). What a rollout waits for (`SiteStatus.rollout`).
   */
  current?: true;
}

/** GET /v1/sites/:name/status: one site's rollout. */
export interface SiteStatus {
  site: Site;
  /** The desired release (the site's). */
  release?: string;
  replicas: number;
  /**
   * Virtual servers of the desired release that are ready, whatever they were started with:
   * during a `site set` that rolls out new servers (the release kept) the servers of the old
   * settings count too, and so do ready servers of the release leaving the route. Kept for
   * clients older than `rollout`; how many servers run what the site says now and are ready
   * is `rollout.ready`, which the CLI and the console show where it is sent.
   */
  ready: number;
  /** Releases of the endpoints the router currently balances over. */
  serving: string[];
  virtualServers: VirtualServerView[];
  /**
   * The rollout of what the site says now (its release, and the settings its servers are
   * started with: a deploy, a rollback and a `site set` of the command, environment, health
   * path, start deadline, database or pooling each start one). `ready`: servers `current`
   * and ready; `done`: `ready` reaches `replicas` and the router serves only `current`
   * servers. Absent from controllers older than it.
   */
  rollout?: { ready: number; done: boolean };
  /** Servers the site wants that no engine can take now, and why (absent: none). */
  unplaced?: UnplacedView;
}

/**
 * Servers of a site the scheduler could not place, and why, e.g. `{count: 2, reason: "every
 * engine is at its most virtual servers (3/3)"}`, waiting since `since` (the reconciler's
 * UnplacedRecord; gone once they are placed).
 */
export type UnplacedView = Pick<UnplacedRecord, 'count' | 'reason' | 'since'>;

/** GET /v1/status and each `status` event of GET /v1/status/stream: the farm as the token may see it. */
export interface FarmStatus {
  /** Admins only (empty for a customer). */
  engines: EngineRecord[];
  sites: Site[];
  virtualServers: VirtualServerView[];
  /** The leading controller, for admins, on a farm of several (none while an election runs). */
  leader?: { id: string; url?: string; since: string };
  /** Pooled sites asking for more replicas than they can have (one per engine taking work): site name → what they can have. */
  capped?: Record<string, number>;
  /** Each site's servers at a glance, site name → SiteGlance. Absent from controllers older than it. */
  rollouts?: Record<string, SiteGlance>;
}

/** GET /v1/status: how a site serves now, and its rollout while one is under way (FarmStatus.rollouts). */
export interface SiteGlance {
  /** Ready servers in the site's route: those the router serves now. */
  serving: number;
  /** How many servers it wants now (an autoscaled site: the autoscaler's count; a pooled one: at most one per engine). */
  replicas: number;
  /**
   * While servers that do not run what the site says now are to be replaced (a deploy, a
   * rollback, a change of its command, environment, health path, start deadline, database
   * or pooling), until SiteStatus.rollout is done. `ready`: the servers running what it says
   * that are ready (SiteStatus.rollout's); `stuck`: one of them is failing — crashed,
   * backing off, unhealthy, or started again after a crash.
   */
  rollout?: { ready: number; stuck?: true };
  /** Servers it wants that no engine can take now, and why (SiteStatus.unplaced). */
  unplaced?: UnplacedView;
}
