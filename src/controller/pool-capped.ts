// What a pooled site can have: one replica per engine taking work (plan-pool.ts
// poolReplicas). The status views show it beside what the site asked (`capped`).

import { keys, type EngineRecord, type Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { isPooled, poolReplicas } from './plan-pool.ts';
import { listRecords } from './records.ts';

/** Pooled sites (not autoscaling) asking for more replicas than there are engines taking work (one at least): what each can have. */
export async function cappedPools(store: Store, sites: readonly Site[]): Promise<Record<string, number> | undefined> {
  return sites.some(asksMore) ? cappedBy(sites, await takingWork(store)) : undefined;
}

/** cappedPools with the engines taking work given (takingWork's, or the farm mirror's engines). */
export function cappedBy(sites: readonly Site[], engines: readonly { draining?: boolean }[]): Record<string, number> | undefined {
  const capped = sites.filter(asksMore).flatMap((s) => {
    const can = poolReplicas(s, engines as { draining?: boolean }[]);
    return can >= 1 && can < s.replicas ? [[s.name, can] as const] : [];
  });
  return capped.length > 0 ? Object.fromEntries(capped) : undefined;
}

/** The engines as the scheduler sees them: registered, the drained ones marked. */
export async function takingWork(store: Store): Promise<{ draining?: boolean }[]> {
  const [engines, drains] = await Promise.all([listRecords<EngineRecord>(store, keys.engines), store.range(keys.engineDrains)]);
  const drained = new Set(drains.kvs.map((kv) => kv.key.slice(keys.engineDrains.length)));
  return engines.map((e) => ({ draining: drained.has(e.id) }));
}

function asksMore(s: Site): boolean {
  return isPooled(s) && !s.autoscale && s.replicas > 1;
}
