// `corral deploy`, `corral rollback` and `corral site set` following their rollout until
// every replica runs what the site says now — the new release, or the new settings a `site
// set` gave (a new environment keeps the release) — and the router serves only those: the
// site status's `rollout` (src/controller/site-rollout.ts), or, from a controller older than
// it, the release alone. The farm's status stream (GET /v1/status/stream)
// says when something changed: each event that changes the site's part of the farm view
// (its own VSs, and the pool VSs holding it with the release each serves of it) prompts one
// read of the site's status (GET /v1/sites/:name/status, which also says what the router
// serves). A stream that stays quiet is re-read every QUIET_RECHECK_MS — but once every
// replica is ready and only the route is awaited, every event prompts a read and so does
// quiet after ROUTE_RECHECK_MS, doubling up to QUIET_RECHECK_MS (a status read costs the
// controller a farm view): a route change alone may not change the view (a new site's first
// route, a pooled site's route to the pool VS), and it usually comes within milliseconds.
// A site that scales to zero and sits at zero has no replica to wait for, yet its new
// release must prove itself: the autoscaler wakes it for the rollout, and the deploy waits
// until a server of the release has been ready (a release that never starts fails the deploy
// at its timeout, rather than being "deployed" and every request after it a 503). New
// settings wake nothing: a site at zero starts its next server with them; nor does a deploy
// of content the site's release already has (`unchanged`): it changed nothing, so a site at
// zero has nothing to roll out and starts that release on its next request.
// A rollout not done by the deadline fails with one line naming what its new servers do,
// and why those the farm cannot place are not (notReadyText); one whose new servers
// crash-loop fails so before it (crash-loop.ts has the rule; `failFast: false`, the
// commands' --no-fail-fast, waits for the deadline); one replaced meanwhile (another
// release, other settings) fails at once.
// Where the stream is unavailable (a
// controller without it, an answer that is not an event stream) or drops and cannot be
// opened again (or keeps dropping), the status is polled every POLL_MS instead. The
// output and the errors are the same either way.
import type { Site, SiteStatus, VirtualServerView } from '../../model/index.ts';
import { startChanges } from '../../model/start-settings.ts';
import type { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { isEventStream, readEvents, type StreamEvent } from '../event-stream.ts';
import { byText } from '../../lib/text-order.ts';
import type { Progress } from '../progress.ts';
import { CRASH_LOOP_STARTS, crashLoopWatch } from './crash-loop.ts';

export const POLL_MS = 200;
export const QUIET_RECHECK_MS = 2_000;
const ROUTE_RECHECK_MS = 50;
/** A stream that keeps dropping is opened again this many times, then polling takes over. */
const MAX_REOPENS = 3;

/** What a rollout waits for: a release (deploy, rollback), or the new settings of a `site set` (its release kept). */
export interface RolloutTarget {
  release: string;
  /** A `site set`: the site as the change left it, and what of it rolls out new servers (startChanges). */
  settings?: { site: Site; changes: string[] };
  /** The command changed nothing (the site's own release deployed again): only a rollout not yet over is waited for. */
  unchanged?: boolean;
}

/** How a rollout is followed besides its deadline. */
export interface FollowOptions {
  /** Fail before the deadline once the new servers crash-loop (crash-loop.ts); default true. */
  failFast?: boolean;
}

/**
 * Resolves true once the target runs on every replica and the router serves only it; false
 * at once when the controller cannot tell new settings from old (older than the status's
 * `rollout`). Throws a CliError when the target is replaced, late, or its new servers
 * crash-loop (unless `failFast` is false).
 */
export async function followRollout(api: ApiClient, site: string, target: RolloutTarget, timeoutMs: number, bar: Progress, opts: FollowOptions = {}): Promise<boolean> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const crashes = opts.failFast === false ? undefined : crashLoopWatch(started);
  const what = target.settings ? `new ${target.settings.changes.join(', ')}` : `release ${target.release}`;
  /** The last read found every replica ready, the router not yet serving only this release. */
  let routing = false;
  /** A server of the release was seen ready (what a site at zero must show). */
  let proven = false;
  let untold = false;
  const check = async (): Promise<boolean> => {
    const st = await api.get<SiteStatus>(`/v1/sites/${encodeURIComponent(site)}/status`);
    if (target.settings && !st.rollout) return (untold = true);
    // the servers the rollout brings: those running what the site says now, or (an older controller) of the release
    const mine = st.rollout ? st.virtualServers.filter((v) => v.current) : st.virtualServers.filter((v) => v.release === target.release);
    const ready = st.rollout?.ready ?? st.ready;
    proven ||= mine.some((v) => v.state === 'ready');
    const states = mine.map((v) => v.state ?? 'placed').join(' ');
    bar.update(st.replicas ? ready / st.replicas : 1, `replicas ready ${ready}/${st.replicas} (${what})${states ? ` — ${states}` : ''}`);
    if (st.site.release !== target.release) throw new CliError(`release ${target.release} is no longer the desired release of ${site} (now ${st.site.release ?? 'none'})`);
    if (target.settings && startChanges(target.settings.site, st.site).length > 0) throw new CliError(`the settings of ${site} were changed again while its ${what} rolled out; corral site show ${site} has them`);
    routing = ready >= st.replicas;
    const asleep = !target.settings && !target.unchanged && atZero(st) && !proven; // woken for the rollout: wait for it
    if (rolledOut(st, target.release) && !asleep) return true;
    if (Date.now() > deadline) throw new CliError(notReadyText(site, target, timeoutMs, st, mine, ready));
    if (crashes?.looping(mine, Date.now())) throw new CliError(notReadyText(site, target, timeoutMs, st, mine, ready, Date.now() - started));
    return false;
  };
  if ((await check()) || (await followStream(api, site, check, deadline, () => routing))) return !untold;
  while (!(await check())) await sleep(POLL_MS);
  return !untold;
}

/** The status says the rollout of `release` is over: every replica ready, and the router serves only them. */
export function rolledOut(st: SiteStatus, release: string): boolean {
  const ready = st.rollout?.ready ?? st.ready;
  const routed = st.rollout ? st.rollout.done : (st.serving ?? []).every((r) => r === release);
  return ready >= st.replicas && routed;
}

/** The site sits at zero, its autoscaler's to wake (on a request, or for a new release). */
export function atZero(st: Pick<SiteStatus, 'replicas' | 'site'>): boolean {
  return st.replicas === 0 && st.site.autoscale?.minReplicas === 0;
}

/**
 * The one line a rollout not done by its deadline fails with: what it waited for, how many
 * of its servers are ready, why those not placed are not (SiteStatus.unplaced), what the
 * others do (their states, restarts, last exit), what serves meanwhile, and where to look.
 * `earlyMs`: it stopped this long after it began, before its deadline, its new servers
 * crash-looping (crash-loop.ts).
 */
export function notReadyText(site: string, target: RolloutTarget, timeoutMs: number, st: Pick<SiteStatus, 'replicas' | 'serving' | 'unplaced'>, mine: VirtualServerView[], ready: number, earlyMs?: number): string {
  const what = target.settings ? `${site}'s new ${target.settings.changes.join(', ')}` : `${site} ${target.release}`;
  const notes: string[] = [];
  if (st.unplaced) notes.push(`${st.unplaced.count} not placed: ${st.unplaced.reason}`);
  const waiting = mine.filter((v) => v.state !== 'ready');
  const looping = earlyMs === undefined ? '' : `, each failed its start ${CRASH_LOOP_STARTS} times or more and none was ever ready`;
  if (waiting.length > 0) notes.push(`new servers ${countStates(waiting)}${servedText(waiting)}${looping}`);
  else if (ready >= st.replicas) notes.push('the router does not serve only them yet');
  const serving = st.serving ?? [];
  const others = serving.filter((r) => r !== target.release);
  // a rollout starts its new servers beside the old ones: on a full farm it cannot place them until room is made
  const beside = st.unplaced ? ' (a rollout starts its new servers beside the old ones until they are ready: it needs room for both)' : '';
  if (target.settings && serving.length > 0) notes.push(`the servers started before serve on${beside}`);
  else if (!target.settings && others.length > 0) notes.push(`${others.join(', ')} serves on${beside}`);
  const head = earlyMs === undefined ? `not ready after ${timeoutMs / 1000} s` : `stopped early after ${Math.round(earlyMs / 1000)} s, its new servers crash-looping`;
  const hint = earlyMs === undefined ? '' : ' (--no-fail-fast waits until --timeout)';
  return `rollout of ${what} ${head} (${ready}/${st.replicas} ready)${notes.length ? `: ${notes.join('; ')}` : ''}; see \`corral logs ${site}\`${hint}`;
}

/** "2 backoff, 1 starting": how many servers are in each state (placed: no state yet), most first. */
function countStates(vss: VirtualServerView[]): string {
  const counts = new Map<string, number>();
  for (const v of vss) counts.set(v.state ?? 'placed', (counts.get(v.state ?? 'placed') ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([state, n]) => `${n} ${state}`).join(', ');
}

/** " (restarted 4 times, last exit code 1)": what the servers went through, when they did. */
function servedText(vss: VirtualServerView[]): string {
  const restarts = vss.reduce((n, v) => n + (v.restarts ?? 0), 0);
  const last = vss.map((v) => v.lastExit).filter((e) => e !== undefined).sort((a, b) => byText(b.at, a.at))[0];
  const exit = last === undefined ? undefined
    : last.startupTimeoutMs !== undefined ? `last stopped, not healthy within its ${last.startupTimeoutMs / 1000} s start timeout`
    : `last exit ${last.oom ? 'OOM ' : ''}${last.signal ?? `code ${last.code}`}`;
  const parts = [...(restarts > 0 ? [`restarted ${restarts} time${restarts === 1 ? '' : 's'}`] : []), ...(exit ? [exit] : [])];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * True once check says done; false if the stream cannot be had (the caller polls). Errors
 * from check go through. `routing`: only the route is awaited, so every event is checked.
 */
async function followStream(api: ApiClient, site: string, check: () => Promise<boolean>, deadline: number, routing: () => boolean): Promise<boolean> {
  for (let opens = 0; opens <= MAX_REOPENS; opens++) {
    const ac = new AbortController();
    let res: Response;
    try {
      res = await api.stream('/v1/status/stream', ac.signal);
    } catch {
      return false; // no stream here (404 from an older controller, refused, …)
    }
    try {
      if (!isEventStream(res) || !res.body) return false;
      const events = readEvents(res.body)[Symbol.asyncIterator]();
      let pending: Promise<StreamEvent | 'ended'> | undefined;
      let seen: string | undefined;
      let count = 0;
      let routeWait = ROUTE_RECHECK_MS;
      for (;;) {
        // a read error (the stream broke off) counts as its end
        pending ??= events.next().then((r) => (r.done ? 'ended' : r.value), () => 'ended' as const);
        if (!routing()) routeWait = ROUTE_RECHECK_MS;
        const got = await orQuiet(pending, Math.max(0, Math.min(deadline - Date.now() + 1, routing() ? routeWait : QUIET_RECHECK_MS)));
        if (got === 'quiet') {
          // nothing for a while, or the deadline: read the status anyway (check throws when late)
          if (routing()) routeWait = Math.min(routeWait * 2, QUIET_RECHECK_MS);
          if (await check()) return true;
          continue;
        }
        pending = undefined;
        if (got === 'ended') break;
        if (got.event !== 'status') continue;
        count++;
        const mark = siteMark(got.data, site);
        if (mark !== undefined && mark === seen && !routing()) continue;
        seen = mark;
        if (await check()) return true;
      }
      if (count === 0) return false; // it ended before saying anything: take it as unavailable
      // it dropped after serving events: open it again (a failed reopen falls back to polling)
    } finally {
      ac.abort();
    }
  }
  return false;
}

async function orQuiet<T>(p: Promise<T>, ms: number): Promise<T | 'quiet'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'quiet'>((ok) => (timer = setTimeout(ok, ms, 'quiet')))]);
  } finally {
    clearTimeout(timer);
  }
}

/** What of the farm view can change the site's rollout; undefined when the event cannot be read. */
function siteMark(data: string, site: string): string | undefined {
  try {
    const view = JSON.parse(data) as {
      sites?: { name: string; release?: string; replicas?: number; updatedAt?: string }[];
      virtualServers?: { vs: string; site: string; release: string; state?: string; draining?: boolean; assigned?: boolean; pool?: string[]; sites?: Record<string, string> }[];
    };
    const s = view.sites?.find((x) => x.name === site);
    const vss = (view.virtualServers ?? []).filter((v) => v.site === site).map((v) => [v.vs, v.release, v.state, v.draining, v.assigned]);
    // a pool VS holding the site: the release it serves of it (its `release` is the pool's)
    const pools = (view.virtualServers ?? []).filter((v) => v.pool?.includes(site)).map((v) => [v.vs, v.sites?.[site], v.state, v.draining, v.assigned]);
    // the site's own changes too: another `site set` meanwhile replaces the settings waited for
    return JSON.stringify([s?.release, s?.replicas, s?.updatedAt, vss, pools]);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
