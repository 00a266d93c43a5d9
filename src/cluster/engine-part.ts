// The engine agent as every mode starts it: `corral up`'s (in the farm's process, blobs
// from the farm's own blob store) and `corral engine`'s (blobs over HTTP from the
// controllers, VSs published on the host's address). The caller has opened the store and
// pushed its close; this part pushes its own steps onto the same shutdown stack.
//
// Start order: runtime (auto: namespace where the host allows it, else process with a
// warning) → agent (registered under its lease, watching its assignments) → drills →
// metrics. Stop order is the reverse: metrics and drills, the agent (its VSs get their
// grace, then SIGKILL), the runtime.

import { buildEngineAgent, chooseRuntime, publishOn, trackEngineMetrics, watchDrills, type ChooseRuntimeOptions, type EngineAgent, type EngineAgentOptions, type Runtime } from '../engine/index.ts';
import type { Logger } from '../lib/log.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';

export interface EnginePartOptions {
  engineId: string;
  /** The engine's folder (releases, run, guests, network.json). */
  dir: string;
  log: Logger;
  /** The runtime's logger (default log with part runtime). */
  runtimeLog?: Logger;
  /** Passed to chooseRuntime (want, bridge, subnet, process addresses, database target). */
  runtime: Omit<ChooseRuntimeOptions, 'engineDir' | 'log'>;
  /** A namespace engine's guests are published on this address (engine/published-runtime.ts). */
  publishAddress?: string;
  /** Everything else the agent is built with. */
  agent: Omit<EngineAgentOptions, 'engineId' | 'dir' | 'runtime' | 'log'>;
  /** Keep the engine's metrics (VS states, capacity) current. */
  metrics: boolean;
  /** The agent's close: its VSs' grace and their SIGKILL (default lib/shutdown-stack's). */
  stopDeadlineMs?: number;
}

export interface EnginePart {
  agent: EngineAgent;
  runtime: Runtime;
  /** Why not the isolated runtime (a fallback), or why guests run without a seccomp filter. */
  warning?: string;
}

export async function startEnginePart(stack: ShutdownStack, o: EnginePartOptions): Promise<EnginePart> {
  const runtimeLog = o.runtimeLog ?? o.log.child({ part: 'runtime' });
  const chosen = await chooseRuntime({ ...o.runtime, engineDir: o.dir, log: runtimeLog });
  if (chosen.warning) o.log.warn({ runtime: chosen.runtime.name }, chosen.warning);
  const runtime = chosen.runtime.name === 'namespace' && o.publishAddress ? publishOn(chosen.runtime, o.publishAddress, runtimeLog) : chosen.runtime;
  stack.push('runtime', () => runtime.destroy());
  // a runtime with a database target gives guests their DATABASE_URL: the record says so, for the scheduler —
  // unless the runtime could not make the way to it (a forwarder whose port is taken): then database sites go elsewhere
  const reachesDatabase = o.runtime.database !== undefined && (await runtime.reachesDatabase?.()) !== false;
  const agent = buildEngineAgent({ ...o.agent, ...(reachesDatabase ? { reachesDatabase: true } : {}), engineId: o.engineId, dir: o.dir, runtime, log: o.log });
  await agent.start();
  stack.push('engine agent', () => agent.close(), { destroy: () => agent.destroy(), ...(o.stopDeadlineMs !== undefined ? { deadlineMs: o.stopDeadlineMs } : {}) });
  const drills = await watchDrills(o.agent.store, agent, o.log);
  stack.push('engine drills', () => drills.close());
  if (o.metrics) stack.push('engine metrics', trackEngineMetrics(agent, o.agent.store));
  return { agent, runtime, ...(chosen.warning ? { warning: chosen.warning } : {}) };
}
