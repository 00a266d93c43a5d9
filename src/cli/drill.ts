// `corral drill`: rehearse failure on a running farm and report what its clients saw.
// Preflight (a degraded farm is refused), then per scenario: GETs for one site loop
// through the routers; a fault is put (POST /v1/drill/faults) for an engine, a VS or
// the leader to act out; the time until the farm is whole again is measured from the
// API; the loop goes on a little longer; then the drill waits for the faulted part to
// come back before the next scenario.
//
//   kill-vs           one ready VS of the site is killed (SIGKILL); its engine restarts it
//   crash-engine      the engine of a ready replica: its VSs killed, its lease left to expire
//   kill-leader       the leading controller freezes (election and work) as a crashed one
//   partition-engine  the engine of a ready replica loses the store: no lease, no statuses

import { Agent, request } from 'node:http';
import type { FarmStatus, SiteStatus } from '../model/index.ts';
import type { ApiClient } from './api-client.ts';
import { CliError } from './errors.ts';

export const SCENARIOS = ['kill-vs', 'crash-engine', 'kill-leader', 'partition-engine'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface DrillOptions {
  site: string;
  scenarios: Scenario[];
  /** How long each fault lasts (a crashed or partitioned engine comes back after it). */
  faultMs: number;
  /** Router base URLs the GETs go to, in turn; default the registered routers. */
  routers?: string[];
  concurrency: number;
  /** Longest wait for the farm to be whole again, per scenario. */
  timeoutMs: number;
  /** Progress lines for a person. */
  say(line: string): void;
}

export interface ScenarioReport {
  scenario: Scenario;
  /** The VS, engine or controller the fault hit. */
  target: string;
  requests: number;
  failed: number;
  /** Failed requests by answer ("502", "ECONNRESET", …). */
  failures: Record<string, number>;
  slowestMs: number;
  /** Fault → the site back at full capacity (or, kill-leader, a leader again); undefined: not within the timeout. */
  recoveredMs?: number;
  note: string;
}

export interface DrillReport {
  site: string;
  routers: string[];
  scenarios: ScenarioReport[];
}

interface EngineView {
  id: string;
  state: 'ready' | 'draining';
}

const POLL_MS = 50;
const WARMUP_MS = 1000;
const TAIL_MS = 2000;

export async function runDrill(api: ApiClient, opts: DrillOptions): Promise<DrillReport> {
  const routers = opts.routers ?? (await api.get<{ routers: Array<{ url: string }> }>('/v1/routers')).routers.map((r) => r.url);
  if (routers.length === 0) throw new CliError('no router is registered with the farm: name the ones clients use with --router <url,…>');
  const first = await preflight(api, opts);
  const host = first.site.domains.find((d) => !d.startsWith('*.'));
  if (!host) throw new CliError(`site ${opts.site} has no domain the drill can send requests for`);
  const reports: ScenarioReport[] = [];
  let lastEngine: string | undefined;
  for (const scenario of opts.scenarios) {
    const before = await siteStatus(api, opts.site);
    const ready = readyOf(before);
    const load = startLoad(routers, host, opts.concurrency);
    await sleep(WARMUP_MS);
    let target: string;
    let recovered: () => Promise<boolean>;
    let note = '';
    let back: () => Promise<boolean> = async () => true;
    let t0 = 0;
    switch (scenario) {
      case 'kill-vs': {
        const victim = ready[0]!;
        target = victim.vs;
        const restarts = victim.restarts ?? 0;
        recovered = async () => {
          const s = await siteStatus(api, opts.site);
          const v = s.virtualServers.find((x) => x.vs === victim.vs);
          const healed = v ? v.state === 'ready' && (v.restarts ?? 0) > restarts : !s.virtualServers.some((x) => x.vs === victim.vs);
          return healed && readyOf(s).length >= s.replicas;
        };
        note = `on ${victim.engine}`;
        break;
      }
      case 'crash-engine':
      case 'partition-engine': {
        const engines = [...new Set(ready.map((v) => v.engine))];
        target = engines.find((e) => e !== lastEngine) ?? engines[0]!;
        lastEngine = target;
        const victim = target;
        recovered = async () => {
          const s = await siteStatus(api, opts.site);
          const r = readyOf(s);
          return r.length >= s.replicas && r.every((v) => v.engine !== victim);
        };
        back = async () => (await api.get<{ engines: EngineView[] }>('/v1/engines')).engines.some((e) => e.id === victim);
        break;
      }
      case 'kill-leader': {
        const leader = (await api.get<FarmStatus>('/v1/status')).leader;
        if (!leader) throw new CliError('kill-leader: no controller leads (a farm on one machine has no election); leave it out with --scenarios');
        target = leader.id;
        // a new election won: another controller, or (a farm with one controller) the frozen one after its freeze
        const leaderNow = async () => (await api.get<FarmStatus>('/v1/status')).leader;
        recovered = async () => {
          const now = await leaderNow();
          return now !== undefined && (now.id !== leader.id || now.since !== leader.since);
        };
        back = async () => (await leaderNow()) !== undefined;
        break;
      }
    }
    opts.say(`${scenario}: ${target}${note ? ` (${note})` : ''} …`);
    t0 = Date.now();
    await api.post(`/v1/drill/faults`, { fault: scenario, target, durationMs: opts.faultMs });
    const recoveredMs = await timeUntil(recovered, opts.timeoutMs).then((ok) => (ok ? Date.now() - t0 : undefined));
    if (scenario === 'kill-leader' && recoveredMs !== undefined) {
      const now = (await api.get<FarmStatus>('/v1/status')).leader?.id;
      note = now === target ? `${target} led again after its freeze` : `${now} took over`;
    } else if ((scenario === 'crash-engine' || scenario === 'partition-engine') && recoveredMs !== undefined) {
      const on = [...new Set(readyOf(await siteStatus(api, opts.site)).map((v) => v.engine))].sort();
      note = `serving from ${on.join(', ')}`;
    }
    await sleep(TAIL_MS);
    const seen = await load.stop();
    reports.push({ scenario, target, ...seen, ...(recoveredMs !== undefined ? { recoveredMs } : {}), note: recoveredMs === undefined ? `not whole again within ${opts.timeoutMs / 1000} s` : note });
    opts.say(`${scenario}: ${seen.requests} requests, ${seen.failed} failed, slowest ${seen.slowestMs} ms, ${recoveredMs === undefined ? 'not recovered' : `recovered in ${recoveredMs} ms`}`);
    // the faulted part comes back before the next scenario starts
    const settled = await timeUntil(async () => (await back()) && (await whole(api, opts.site)), opts.faultMs + opts.timeoutMs);
    if (!settled) {
      opts.say(`the farm is not whole again after ${scenario}: stopping the drill`);
      break;
    }
  }
  return { site: opts.site, routers, scenarios: reports };
}

/** Refuse a farm that is already degraded, or a site a drill would take down. */
async function preflight(api: ApiClient, opts: DrillOptions): Promise<SiteStatus> {
  const problems: string[] = [];
  const [status, site] = await Promise.all([api.get<FarmStatus>('/v1/status'), siteStatus(api, opts.site)]);
  for (const s of status.sites) {
    if (!s.release || s.replicas === 0) continue;
    const st = s.name === opts.site ? site : await siteStatus(api, s.name);
    const ready = readyOf(st).length;
    if (ready < st.replicas) problems.push(`site ${s.name} has ${ready} of ${st.replicas} replicas ready`);
  }
  const ready = readyOf(site);
  if (!site.release) problems.push(`site ${opts.site} has no release`);
  const engines = new Set(ready.map((v) => v.engine));
  const hitsEngine = opts.scenarios.some((s) => s === 'crash-engine' || s === 'partition-engine');
  if (hitsEngine && engines.size < 2) problems.push(`site ${opts.site} is served from ${engines.size} engine(s): crash-engine and partition-engine need its ready replicas on at least 2 engines (scale it up), or they would be an outage by design`);
  else if (opts.scenarios.includes('kill-vs') && ready.length < 2) problems.push(`site ${opts.site} has ${ready.length} ready replica(s): kill-vs needs 2 or more, or it would be an outage by design`);
  if (opts.scenarios.includes('kill-leader') && !status.leader) problems.push('kill-leader: no controller leads now (a farm on one machine has no election)');
  if (problems.length > 0) throw new CliError(`the farm is not ready for a drill:\n  ${problems.join('\n  ')}`);
  return site;
}

async function whole(api: ApiClient, site: string): Promise<boolean> {
  const s = await siteStatus(api, site);
  return readyOf(s).length >= s.replicas;
}

function siteStatus(api: ApiClient, site: string): Promise<SiteStatus> {
  return api.get<SiteStatus>(`/v1/sites/${encodeURIComponent(site)}/status`);
}

function readyOf(s: SiteStatus): SiteStatus['virtualServers'] {
  return s.virtualServers.filter((v) => v.release === s.release && v.state === 'ready');
}

async function timeUntil(ok: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return true;
    await sleep(POLL_MS);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `concurrency` loops of GET / for host, round robin over the routers, each timed. */
function startLoad(routers: string[], host: string, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency * routers.length });
  let running = true;
  let requests = 0;
  let slowest = 0;
  const failures: Record<string, number> = {};
  const one = (base: string) =>
    new Promise<string | undefined>((resolve) => {
      const req = request(new URL('/', base), { agent, headers: { host, 'user-agent': 'corral-drill' }, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve((res.statusCode ?? 0) >= 400 ? String(res.statusCode) : undefined));
        res.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
      });
      req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
      req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
      req.end();
    });
  const loops = Array.from({ length: concurrency }, async (_, i) => {
    for (let n = i; running; n++) {
      const t = performance.now();
      const failure = await one(routers[n % routers.length]!);
      slowest = Math.max(slowest, performance.now() - t);
      requests++;
      if (failure) failures[failure] = (failures[failure] ?? 0) + 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { requests, failed: Object.values(failures).reduce((a, b) => a + b, 0), failures, slowestMs: Math.round(slowest) };
    },
  };
}
