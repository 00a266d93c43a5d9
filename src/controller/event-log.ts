// The audit trail and farm events in the store (keys.events), in retention buckets: one per
// customer, one for the farm and its admins, one for callers without a valid token. Each
// bucket keeps its own newest events, so a flood of calls by one customer (or by anyone
// without a token) drops only that bucket's older events, never another customer's or the
// admin's. Listed newest first across buckets, within what a principal may see.

import { keyName, keys, type Customer, type EventBucket, type FarmEvent } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import { byText } from '../lib/text-order.ts';
import type { Scope } from './access.ts';
import { readRecord } from './records.ts';

/** How many events each bucket keeps (each may hold up to PRUNE_EVERY more between passes). */
export interface EventRetention {
  /** Farm events about no customer, and calls by admin and engine tokens. */
  farm: number;
  /** Each customer's: calls by its tokens (refused ones too) and farm events about its things. */
  perCustomer: number;
  /** Calls without a valid token. */
  anonymous: number;
}

export const DEFAULT_EVENT_RETENTION: Readonly<EventRetention> = Object.freeze({ farm: 2000, perCustomer: 500, anonymous: 500 });

export interface EventLog {
  /** Appends an event (id and time are set here) to its bucket (eventBucketOf). */
  record(event: Omit<FarmEvent, 'id' | 'at'>): Promise<FarmEvent>;
  /**
   * Newest first. A customer scope sees only events naming that customer, and none from
   * before its customer record was created (a customer re-created under a deleted one's
   * name sees nothing of the old one's).
   */
  list(scope: Scope, filter?: EventFilter): Promise<FarmEvent[]>;
}

export interface EventFilter {
  limit?: number;
  type?: FarmEvent['type'];
  site?: string;
}

/** A bucket's retention is checked after every PRUNE_EVERY writes to it (and the first). */
const PRUNE_EVERY = 20;
/** Deletes per transaction (etcd refuses more than 128 operations in one). */
const TXN_DELETES = 100;

let sequence = 0;

/** A call counts against the customer whose token made it, else the admin's or anonymous share; a farm event against the customer it is about. */
export function eventBucketOf(event: Pick<FarmEvent, 'type' | 'principal' | 'customer'>): EventBucket {
  if (event.type === 'audit') {
    const principal = event.principal ?? 'anonymous';
    if (principal === 'anonymous') return 'anonymous';
    const customer = /^customer:([^:]+):/.exec(principal)?.[1];
    return customer !== undefined ? { customer } : 'farm';
  }
  return event.customer !== undefined ? { customer: event.customer } : 'farm';
}

export function createEventLog(store: Store, retention: Partial<EventRetention> = {}): EventLog {
  const limits = { ...DEFAULT_EVENT_RETENTION, ...retention };
  const buckets = new Map<string, { writes: number; pruning?: Promise<void> }>();
  const prune = async (bucket: EventBucket) => {
    // the farm's share also ages out what an older Corral stored before buckets (all older than any bucket's)
    const prefixes = bucket === 'farm' ? [keys.legacyEvents, keys.eventBucket(bucket)] : [keys.eventBucket(bucket)];
    const kvs = (await Promise.all(prefixes.map((p) => store.range(p)))).flatMap((r) => r.kvs);
    const max = bucket === 'farm' ? limits.farm : bucket === 'anonymous' ? limits.anonymous : limits.perCustomer;
    const excess = kvs.length - max;
    for (let i = 0; i < excess; i += TXN_DELETES) {
      const old = kvs.slice(i, Math.min(i + TXN_DELETES, excess));
      await store.txn({ compare: [], success: old.map((kv) => ({ type: 'delete' as const, key: kv.key })), failure: [] });
    }
  };
  return {
    async record(event) {
      const now = Date.now();
      sequence = (sequence + 1) % 1_000_000;
      const id = `${String(now).padStart(15, '0')}-${String(process.pid % 100000).padStart(5, '0')}${String(sequence).padStart(6, '0')}`;
      const full: FarmEvent = { id, at: new Date(now).toISOString(), ...event };
      const bucket = eventBucketOf(event);
      await store.put(keys.event(bucket, id), JSON.stringify(full));
      // Retention: checked every few writes to the bucket (and on the first), one pass at a time.
      const key = keys.eventBucket(bucket);
      const state = buckets.get(key) ?? { writes: 0 };
      buckets.set(key, state);
      if (state.writes++ % PRUNE_EVERY === 0 && !state.pruning) state.pruning = prune(bucket).finally(() => (state.pruning = undefined));
      await state.pruning;
      return full;
    },
    async list(scope, filter = {}) {
      const customer = scope.customer;
      let since = -Infinity;
      let prefixes: string[] = [keys.events];
      if (customer !== undefined) {
        const record = await readRecord<Customer>(store, keys.customer(customer));
        if (!record) return [];
        since = Date.parse(record.value.createdAt);
        // its own bucket, and the calls of admins and of callers without a token about its things
        prefixes = [keys.eventBucket({ customer }), keys.eventBucket('farm'), keys.eventBucket('anonymous'), keys.legacyEvents];
      }
      const kvs = (await Promise.all(prefixes.map((p) => store.range(p)))).flatMap((r) => r.kvs).sort(newestFirst);
      const limit = filter.limit ?? 200;
      const seen: FarmEvent[] = [];
      for (const kv of kvs) {
        if (seen.length >= limit) break;
        const e = JSON.parse(kv.value) as FarmEvent;
        if (customer !== undefined && (e.customer !== customer || !(Date.parse(e.at) >= since))) continue;
        if ((filter.type === undefined || e.type === filter.type) && (filter.site === undefined || e.site === filter.site)) seen.push(e);
      }
      return seen;
    },
  };
}

/** By event id (the key's last segment: time, then a sequence), newest first, whatever the bucket. */
function newestFirst(a: KeyValue, b: KeyValue): number {
  return byText(keyName(b.key), keyName(a.key));
}
