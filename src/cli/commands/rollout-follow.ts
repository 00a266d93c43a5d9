// `corral deploy` following its rollout until every replica of the release is ready and
// the router serves only that release. The farm's status stream (GET /v1/status/stream)
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
// at its timeout, rather than being "deployed" and every request after it a 503).
// Where the stream is unavailable (a
// controller without it, an answer that is not an event stream) or drops and cannot be
// opened again (or keeps dropping), the status is polled every POLL_MS instead. The
// output and the errors are the same either way.
import type { SiteStatus } from '../../model/index.ts';
import type { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { isEventStream, readEvents, type StreamEvent } from '../event-stream.ts';
import type { Progress } from '../progress.ts';

export const POLL_MS = 200;
export const QUIET_RECHECK_MS = 2_000;
const ROUTE_RECHECK_MS = 50;
/** A stream that keeps dropping is opened again this many times, then polling takes over. */
const MAX_REOPENS = 3;

/** Resolves once the release is ready on every replica and serving; throws a CliError when it is replaced or late. */
export async function followRollout(api: ApiClient, site: string, release: string, timeoutMs: number, bar: Progress): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  /** The last read found every replica ready, the router not yet serving only this release. */
  let routing = false;
  /** A server of the release was seen ready (what a site at zero must show). */
  let proven = false;
  const check = async (): Promise<boolean> => {
    const st = await api.get<SiteStatus>(`/v1/sites/${encodeURIComponent(site)}/status`);
    const mine = st.virtualServers.filter((v) => v.release === release);
    proven ||= mine.some((v) => v.state === 'ready');
    const states = mine.map((v) => v.state ?? 'placed').join(' ');
    bar.update(st.replicas ? st.ready / st.replicas : 1, `replicas ready ${st.ready}/${st.replicas} (release ${release})${states ? ` — ${states}` : ''}`);
    if (st.site.release !== release) throw new CliError(`release ${release} is no longer the desired release of ${site} (now ${st.site.release ?? 'none'})`);
    routing = st.ready >= st.replicas;
    const asleep = st.replicas === 0 && st.site.autoscale?.minReplicas === 0 && !proven; // woken for the rollout: wait for it
    if (routing && !asleep && (st.serving ?? []).every((r) => r === release)) return true;
    if (Date.now() > deadline) throw new CliError(`rollout of ${site} ${release} not ready after ${timeoutMs / 1000} s (${st.ready}/${st.replicas} ready); see \`corral logs ${site}\``);
    return false;
  };
  if (await check()) return;
  if (await followStream(api, site, check, deadline, () => routing)) return;
  while (!(await check())) await sleep(POLL_MS);
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
      sites?: { name: string; release?: string; replicas?: number }[];
      virtualServers?: { vs: string; site: string; release: string; state?: string; draining?: boolean; assigned?: boolean; pool?: string[]; sites?: Record<string, string> }[];
    };
    const s = view.sites?.find((x) => x.name === site);
    const vss = (view.virtualServers ?? []).filter((v) => v.site === site).map((v) => [v.vs, v.release, v.state, v.draining, v.assigned]);
    // a pool VS holding the site: the release it serves of it (its `release` is the pool's)
    const pools = (view.virtualServers ?? []).filter((v) => v.pool?.includes(site)).map((v) => [v.vs, v.sites?.[site], v.state, v.draining, v.assigned]);
    return JSON.stringify([s?.release, s?.replicas, vss, pools]);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
