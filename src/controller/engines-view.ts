// The engines as an admin sees them: registration (capacity), state and use.
// An engine is 'ready', or 'draining' once a drain was asked for (keys.engineDrain);
// one whose registration lapsed is gone from the list (its lease expired).

import { keys, type Assignment, type EngineRecord, type VsStatus } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { listRecords } from './records.ts';
import { assignmentMemoryMb } from './memory-room.ts';

export interface EngineView extends EngineRecord {
  state: 'ready' | 'draining';
  /** `memoryMb`: what its virtual servers reserve of its memory (memory-room.ts: their limits, a pool's for its table). */
  use: { virtualServers: number; ready: number; memoryMb: number };
}

export async function engineViews(store: Store): Promise<EngineView[]> {
  const [engines, drains, assignments, statuses] = await Promise.all([
    listRecords<EngineRecord>(store, keys.engines),
    store.range(keys.engineDrains),
    listRecords<Assignment>(store, keys.assignments),
    listRecords<VsStatus>(store, keys.vsStatuses),
  ]);
  const drained = new Set(drains.kvs.map((kv) => kv.key.slice(keys.engineDrains.length)));
  return engines.map((e) => ({
    ...e,
    state: drained.has(e.id) || e.draining ? 'draining' : 'ready',
    use: {
      virtualServers: assignments.filter((a) => a.engine === e.id).length,
      memoryMb: assignments.reduce((mb, a) => (a.engine === e.id ? mb + assignmentMemoryMb(a) : mb), 0),
      ready: statuses.filter((s) => s.engine === e.id && s.state === 'ready').length,
    },
  }));
}
