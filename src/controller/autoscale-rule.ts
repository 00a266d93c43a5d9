// The autoscaling rule, pure: from a site's recent load (one sample per tick, every
// router summed), the replica count it should have, and why. Knative's concurrency
// rule, reduced:
//   - the measure is concurrency: requests in flight plus open tunnels (WebSockets),
//     time-weighted over each second by the routers; the site wants
//     ceil(concurrency / targetConcurrency) servers;
//   - out (fast): the mean over the last `panicWindowMs` (default 6 s) wants more than
//     the site has → that many at once (never above maxReplicas);
//   - in (slow): only once the samples cover the whole `stableWindowMs` (default 60 s)
//     and even the busiest second of it wanted fewer → that many (never below
//     minReplicas, nor below 1: load alone never stops the last server);
//   - zero: minReplicas 0 and no request, no open tunnel for `idleTimeoutMs` → 0;
//     a wake (a router holding a request, or a new release) or any load → max(1,
//     minReplicas) at once.
// A count outside the bounds (the bounds changed) is brought inside them.

import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TARGET_CONCURRENCY, type Autoscale, type ScaleRecord, type Site } from '../model/index.ts';

export const DEFAULT_PANIC_WINDOW_MS = 6_000;
export const DEFAULT_STABLE_WINDOW_MS = 60_000;

export interface LoadSample {
  at: number;
  /** Every router's time-weighted concurrency of the site, summed. */
  concurrency: number;
}

export interface ScaleInput {
  autoscale: Autoscale;
  /** The count decided so far. */
  current: number;
  /** Oldest first. */
  samples: readonly LoadSample[];
  /** Last time a router saw a request or an open tunnel of the site. */
  lastActiveAt: number;
  /** A router asked for a wake since the last decision. */
  woken: boolean;
  /** Why it is woken when not for a held request (a new release: a deploy serves at once). */
  wakeReason?: string;
  now: number;
}

export interface ScaleTiming {
  panicWindowMs: number;
  stableWindowMs: number;
}

export interface ScaleDecision {
  replicas: number;
  reason: string;
}

/** The count a site's servers should number now; undefined: keep `current`. */
export function decideReplicas(input: ScaleInput, timing: ScaleTiming = { panicWindowMs: DEFAULT_PANIC_WINDOW_MS, stableWindowMs: DEFAULT_STABLE_WINDOW_MS }): ScaleDecision | undefined {
  const { autoscale: a, current, now } = input;
  const target = a.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;
  const floor = Math.max(1, a.minReplicas);
  const bounded = Math.min(a.maxReplicas, Math.max(a.minReplicas, current));
  if (bounded !== current) return { replicas: bounded, reason: `bounds ${a.minReplicas}–${a.maxReplicas}: ${current} → ${bounded}` };

  const recent = input.samples.filter((s) => s.at > now - timing.panicWindowMs);
  const mean = recent.length > 0 ? recent.reduce((sum, s) => sum + s.concurrency, 0) / recent.length : 0;
  if (current === 0) {
    if (input.woken) return { replicas: floor, reason: input.wakeReason ?? 'woken by a request held at a router' };
    if (mean > 0) return { replicas: Math.min(a.maxReplicas, Math.max(floor, want(mean, target))), reason: `load while idle (concurrency ${fmt(mean)})` };
    return undefined;
  }

  const idleMs = a.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (a.minReplicas === 0 && now - input.lastActiveAt >= idleMs) {
    return { replicas: 0, reason: `no request for ${duration(now - input.lastActiveAt)} (idle timeout ${duration(idleMs)})` };
  }

  const out = Math.min(a.maxReplicas, want(mean, target));
  if (out > current) {
    return { replicas: out, reason: `concurrency ${fmt(mean)} over ${duration(timing.panicWindowMs)}, target ${target} per VS: ${current} → ${out}` };
  }

  const covered = input.samples.length > 0 && input.samples[0]!.at <= now - timing.stableWindowMs;
  if (!covered) return undefined;
  const stable = input.samples.filter((s) => s.at > now - timing.stableWindowMs);
  const peak = Math.max(0, ...stable.map((s) => s.concurrency));
  const inTo = Math.max(floor, Math.min(a.maxReplicas, want(peak, target)));
  if (inTo < current) {
    return { replicas: inTo, reason: `concurrency at most ${fmt(peak)} for ${duration(timing.stableWindowMs)}, target ${target} per VS: ${current} → ${inTo}` };
  }
  return undefined;
}

/** The count a site autoscaling under `a` starts at (no decision yet): one server at least, so a deploy serves. */
export function initialReplicas(a: Autoscale): number {
  return Math.min(a.maxReplicas, Math.max(1, a.minReplicas));
}

/** The replica count the plan uses: the site's own when it does not autoscale, else the autoscaler's (within the bounds). */
export function desiredReplicas(site: Site, scale: ScaleRecord | undefined): number {
  const a = site.autoscale;
  if (!a) return site.replicas;
  if (!scale || scale.site !== site.name || scale.siteId !== site.id) return initialReplicas(a);
  return Math.min(a.maxReplicas, Math.max(a.minReplicas, scale.replicas));
}

function want(concurrency: number, target: number): number {
  return Math.ceil(concurrency / target - 1e-9);
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.round(ms)}ms`;
}
