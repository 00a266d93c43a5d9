// A running VS's runtime, limits and usage (the namespace runtime's inspect), sampled
// every USAGE_SAMPLE_MS and on demand, for its status. Runtimes without inspect report
// their name only.

import type { VsStatus } from '../model/index.ts';
import type { Runtime } from './runtime.ts';
import type { VsSnapshot } from './supervisor.ts';

/** How often a running VS's usage is sampled into its status. */
export const USAGE_SAMPLE_MS = 15_000;

export type Inspected = Pick<VsStatus, 'runtime' | 'limits' | 'usage' | 'notEnforced'>;

export interface VsSampler {
  /** The last sample (undefined before the first where the runtime inspects). */
  readonly current: Inspected | undefined;
  /** Sample now; onSample runs when one was taken. */
  sample(): Promise<void>;
  stop(): void;
}

export function createVsSampler(runtime: Runtime, vs: string, onSample: () => void): VsSampler {
  let current: Inspected | undefined = runtime.inspect ? undefined : { runtime: runtime.name };
  let stopped = false;
  const timer = runtime.inspect ? setInterval(() => void sample(), USAGE_SAMPLE_MS) : undefined;
  timer?.unref();
  async function sample() {
    const info = await runtime.inspect?.(vs).catch(() => undefined);
    if (!info || stopped) return;
    current = { runtime: info.runtime, ...(info.limits ? { limits: info.limits } : {}), ...(info.usage ? { usage: { ...info.usage, at: new Date().toISOString() } } : {}), ...(info.notEnforced ? { notEnforced: info.notEnforced } : {}) };
    onSample();
  }
  return {
    get current() {
      return current;
    },
    sample,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** A VS's status record from its assignment, its supervisor's snapshot and the last sample (VS units and pool units alike). */
export function vsStatus(a: Pick<VsStatus, 'vs' | 'site' | 'release'> & { siteId?: string }, engine: string, s: VsSnapshot, sampled: Inspected | undefined): VsStatus {
  const status: VsStatus = { vs: a.vs, engine, site: a.site, release: a.release, state: s.state, restarts: s.restarts, updatedAt: new Date().toISOString() };
  if (a.siteId !== undefined) status.siteId = a.siteId;
  if (s.address !== undefined) status.address = s.address;
  if (s.port !== undefined) status.port = s.port;
  if (s.pid !== undefined) status.pid = s.pid;
  if (s.lastExit !== undefined) status.lastExit = s.lastExit;
  if (sampled) Object.assign(status, sampled);
  return status;
}
