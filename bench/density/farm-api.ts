// The density bench's client side: the farm's REST API through fetch (one keep-alive pool),
// bounded concurrency, a keep-alive pool for GETs through the router, and the counters of
// the farm's /metrics that show where the control plane spends its time.
import { Agent } from 'node:http';

export interface FarmApi {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A release upload (activated), the same call `corral deploy` makes. */
  upload(site: string, tarball: Buffer): Promise<void>;
  metrics(): Promise<string>;
}

export function farmApi(apiUrl: string, token: string): FarmApi {
  const auth = { authorization: `Bearer ${token}` };
  const send = async (method: string, path: string, init: { body?: string | Buffer; type?: string }): Promise<Response> => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { ...auth, ...(init.type ? { 'content-type': init.type } : {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return res;
  };
  return {
    async call<T>(method: string, path: string, body?: unknown) {
      const res = await send(method, path, body === undefined ? {} : { body: JSON.stringify(body), type: 'application/json' });
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async upload(site, tarball) {
      await (await send('POST', `/v1/sites/${site}/releases`, { body: tarball, type: 'application/gzip' })).arrayBuffer();
    },
    async metrics() {
      return (await send('GET', '/metrics', {})).text();
    },
  };
}

/** fn over items with at most `limit` calls in flight; results in input order. The first failure rejects. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** A keep-alive pool for checking many sites through the router. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/** The figures of /metrics the bench follows (counters: take differences). */
export interface ControlPlaneCounters {
  reconcilePasses: number;
  reconcileSeconds: number;
  /** corral_reconcile_actions_total by kind. */
  actions: Record<string, number>;
  /** corral_autoscale_decisions_total by action. */
  decisions: Record<string, number>;
}

export function readCounters(text: string): ControlPlaneCounters {
  const one = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  const labelled = (name: string, label: string) => {
    const out: Record<string, number> = {};
    for (const m of text.matchAll(new RegExp(`^${name}\\{${label}="([^"]+)"\\} ([\\d.e+-]+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
    return out;
  };
  return {
    reconcilePasses: one('corral_reconcile_duration_seconds_count'),
    reconcileSeconds: one('corral_reconcile_duration_seconds_sum'),
    actions: labelled('corral_reconcile_actions_total', 'kind'),
    decisions: labelled('corral_autoscale_decisions_total', 'action'),
  };
}

/** What happened between two readings: passes, mean pass time, actions written. */
export function describeCounters(a: ControlPlaneCounters, b: ControlPlaneCounters): string {
  const passes = b.reconcilePasses - a.reconcilePasses;
  const mean = passes > 0 ? ((b.reconcileSeconds - a.reconcileSeconds) / passes) * 1000 : NaN;
  const actions = Object.entries(b.actions).map(([k, v]) => `${k} ${v - (a.actions[k] ?? 0)}`).filter((s) => !s.endsWith(' 0'));
  return `${passes} reconcile passes, ${passes > 0 ? `${mean.toFixed(1)} ms mean` : "no mean"}, ${((b.reconcileSeconds - a.reconcileSeconds)).toFixed(1)} s in all; actions: ${actions.join(', ') || 'none'}`;
}
