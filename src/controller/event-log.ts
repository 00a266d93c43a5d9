// The audit trail and farm events in the store (keys.events): append with bounded
// retention, list newest first within what a principal may see.

import { keys, type FarmEvent } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { inScope, type Scope } from './access.ts';
import { listRecords } from './records.ts';

export const DEFAULT_MAX_EVENTS = 2000;

export interface EventLog {
  /** Appends an event (id and time are set here). */
  record(event: Omit<FarmEvent, 'id' | 'at'>): Promise<FarmEvent>;
  /** Newest first; a customer scope sees only events naming that customer. */
  list(scope: Scope, filter?: EventFilter): Promise<FarmEvent[]>;
}

export interface EventFilter {
  limit?: number;
  type?: FarmEvent['type'];
  site?: string;
}

let sequence = 0;

export function createEventLog(store: Store, maxEvents = DEFAULT_MAX_EVENTS): EventLog {
  let writes = 0;
  let pruning: Promise<void> | undefined;
  const prune = async () => {
    const { kvs } = await store.range(keys.events);
    const excess = kvs.length - maxEvents;
    if (excess <= 0) return;
    await store.txn({ compare: [], success: kvs.slice(0, excess).map((kv) => ({ type: 'delete' as const, key: kv.key })), failure: [] });
  };
  return {
    async record(event) {
      const now = Date.now();
      sequence = (sequence + 1) % 1_000_000;
      const id = `${String(now).padStart(15, '0')}-${String(process.pid % 100000).padStart(5, '0')}${String(sequence).padStart(6, '0')}`;
      const full: FarmEvent = { id, at: new Date(now).toISOString(), ...event };
      await store.put(keys.event(id), JSON.stringify(full));
      // Retention: checked every few writes (and on the first), one pass at a time.
      if (writes++ % 20 === 0 && !pruning) pruning = prune().finally(() => (pruning = undefined));
      await pruning;
      return full;
    },
    async list(scope, filter = {}) {
      const all = await listRecords<FarmEvent>(store, keys.events);
      const seen = all.filter((e) =>
        (scope.customer === undefined || (e.customer !== undefined && inScope(scope, e.customer))) &&
        (filter.type === undefined || e.type === filter.type) &&
        (filter.site === undefined || e.site === filter.site));
      return seen.reverse().slice(0, filter.limit ?? 200);
    },
  };
}
