// `corral drill` on an engine: watch keys.drill('engine', id) and act out each fault put
// there once (crash, partition, kill-vs; EngineAgent.fault). A record that is not a
// fault this engine knows is logged and skipped; a fault already running is not stacked.

import type { Logger } from '../lib/log.ts';
import { keys, parseDrillFault } from '../model/index.ts';
import type { Store, Watcher } from '../store/types.ts';
import type { EngineAgent, EngineFault } from './agent.ts';

const ENGINE_FAULTS: readonly string[] = ['crash', 'partition', 'kill-vs'] satisfies EngineFault[];

export async function watchDrills(store: Store, agent: Pick<EngineAgent, 'engineId' | 'fault'>, log: Logger): Promise<Watcher> {
  const done = new Set<string>();
  const act = (value: string) => {
    const f = parseDrillFault(value);
    if (!f || !ENGINE_FAULTS.includes(f.fault)) return log.warn({ event: 'engine.drill_refused', value: value.slice(0, 200) }, 'drill: not a fault this engine acts out');
    if (done.has(f.id)) return;
    done.add(f.id);
    void agent.fault(f.fault as EngineFault, f.durationMs, f.vs).then(
      (acted) => acted || log.warn({ event: 'engine.drill_skipped', fault: f.fault, vs: f.vs }, 'drill: fault not acted out (one is running, or no such VS here)'),
      (err: unknown) => log.error({ event: 'engine.drill_failed', err }, 'drill: acting out the fault failed'),
    );
  };
  return store.watch(keys.drill('engine', agent.engineId), (events) => {
    for (const e of events) if (e.type === 'put') act(e.kv.value);
  });
}
