// What every route plugin receives from buildController.

import type { EngineLogs } from '../../engine/logs.ts';
import type { Store } from '../../store/types.ts';
import type { Access } from '../access.ts';
import type { BlobStore, ResolvedLimits } from '../options.ts';

export interface RouteDeps {
  store: Store;
  blobs: BlobStore;
  engineLogs?: EngineLogs;
  access: Access;
  limits: ResolvedLimits;
}
