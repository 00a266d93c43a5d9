// The cluster roles: a farm on etcd, one process per role and host.

export { startControllerNode, type ControllerNode, type ControllerNodeOptions } from './controller-node.ts';
export { startEngineNode, type EngineNode, type EngineNodeOptions } from './engine-node.ts';
export { DEFAULT_ENGINE_API_PORT } from './engine-api.ts';
export { startRouterNode, type RouterNode, type RouterNodeOptions } from './router-node.ts';
export { parseStoreUrl, type StoreUrl } from './store-url.ts';
export { joinFarm, type JoinAnswer } from './join.ts';
export * from './errors.ts';
export { startClusterDbServer, type ClusterDbServer, type DbServer } from './db-server.ts';
export { patroniMissing } from './patroni-member.ts';
export { FARM_PATRONI_TIMING, type PatroniTiming } from './patroni-config.ts';
export type { EngineDbOptions } from './db-engine.ts';
export { startEnginePart, type EnginePart, type EnginePartOptions } from './engine-part.ts';
export { startLeaderWork, type LeaderWork, type LeaderWorkOptions } from './leader-work.ts';
export { holdRouterBoot, startRouterPart, type RouterPart, type RouterPartOptions } from './router-part.ts';
export { createRouterLogs } from './router-logs.ts';
export type { BuiltRouter, RouterBuildOptions } from './router-boot.ts';
export { BACKUP_FILES, openControllerPart, type ControllerPart } from './controller-part.ts';
export { startFarmNode, type FarmNode } from './farm-node.ts';
