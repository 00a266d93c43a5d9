// What every route plugin receives from buildController.

import type { Store } from '../../store/types.ts';
import type { Access } from '../access.ts';
import type { DomainRules } from '../domain-rules.ts';
import type { EventLog } from '../event-log.ts';
import type { BlobStore, ControllerOptions, EngineLogs, ResolvedLimits } from '../options.ts';

export interface RouteDeps {
  store: Store;
  blobs: BlobStore;
  engineLogs?: EngineLogs;
  routerLogs?: ControllerOptions['routerLogs'];
  access: Access;
  limits: ResolvedLimits;
  events: EventLog;
  /** Which domains a site may claim (localhost, IPs, public suffixes, the farm's reserved names). */
  domains: DomainRules;
  vsUsage?: ControllerOptions['vsUsage'];
  vsExec?: ControllerOptions['vsExec'];
  siteStats?: ControllerOptions['siteStats'];
  cluster?: ControllerOptions['cluster'];
  replicateBlob?: ControllerOptions['replicateBlob'];
  backup?: ControllerOptions['backup'];
  databases?: ControllerOptions['databases'];
  /** New static sites are pooled unless the request says `pooled: false` (the farm's default, decided in build-controller.ts). */
  staticPools: boolean;
  /** ControllerOptions.customerMaxVs, resolved (0: no limit). */
  customerMaxVs: number;
}
