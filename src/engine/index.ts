// The engine part: the agent that runs this engine's virtual servers, the runtimes
// that run them, and the log reader the controller serves `corral logs` from.

export { buildEngineAgent, type EngineAgent, type EngineAgentOptions, type EngineFault } from './agent.ts';
export { watchDrills } from './drill-watch.ts';
export { createProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.ts';
export type { ExitInfo, RunningVs, Runtime, VsSpec } from './runtime.ts';
export { createSupervisor, DEFAULT_TIMING, type Supervisor, type SupervisorOptions, type SupervisorTiming, type VsSnapshot } from './supervisor.ts';
export { createStartGate, defaultMaxStarts, type StartGate } from './start-gate.ts';
export { createEngineLogs, type EngineLogs, type VsLogInfo } from './logs.ts';
export { enginePaths, logPath } from './paths.ts';
export type { FetchBlob } from './release-cache.ts';
export * from './errors.ts';
export { metricsRegistry, trackEngineMetrics, processUsage, type ProcessUsage } from './metrics.ts';
export { createNamespaceRuntime, type NamespaceRuntimeOptions } from './namespace-runtime.ts';
export { chooseRuntime, type ChooseRuntimeOptions, type ChosenRuntime, type RuntimeChoice } from './namespace/choose-runtime.ts';
export { publishOn } from './published-runtime.ts';
export type { AddressPool } from './address-pool.ts';
export type { VsInspect, VsLimitsSpec, ExecResult } from './runtime.ts';
export { execInVs } from './vs-exec.ts';
export { GUEST_DB_PORT } from './namespace/db-forwarder.ts';
