// Where a controller of a farm on etcd reaches a VS's engine: the VS's engine from the
// store (its assignment or status key, `…/<engine>/<vs>`; a VS never moves, so the answer
// is kept), and the engine's API URL from its leased record (`apiUrl`). An engine that
// failed to answer is remembered as failing for a few seconds, so a request touching
// several of its VSs waits for it once, not once per VS.

import { keys, type EngineRecord } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { nodeUnreachable, type ClusterError } from './errors.ts';

/** How long an engine that did not answer is given up on before it is tried again. */
export const ENGINE_RETRY_AFTER_MS = 5_000;
/** VS → engine answers kept at most (VS names are never reused, so they stay true). */
const MAX_KNOWN_VSS = 50_000;

export interface EngineDirectory {
  /** The engine of a VS: one the store names now, or one that listed its log; undefined if none. */
  engineOf(vs: string): Promise<string | undefined>;
  /** Note that `engine` holds (or held) the log of `vs`. */
  remember(vs: string, engine: string): void;
  /** The engine's API URL; rejects with CLUSTER_ENGINE_UNREACHABLE when it is not registered, has none, or failed just now. */
  apiUrlOf(engine: string): Promise<string>;
  /** Every registered engine that serves an API. */
  engines(): Promise<{ id: string; apiUrl: string }[]>;
  /** The engine did not answer: calls in the next ENGINE_RETRY_AFTER_MS fail at once with this error. */
  failed(engine: string, err: ClusterError): void;
}

export function engineDirectory(store: Store, now: () => number = Date.now): EngineDirectory {
  const known = new Map<string, string>();
  const failing = new Map<string, { until: number; err: ClusterError }>();
  const remember = (vs: string, engine: string) => {
    if (known.size >= MAX_KNOWN_VSS) known.clear();
    known.set(vs, engine);
  };
  let lookup: Promise<void> | undefined;
  // one read of the assignment and status keys at a time, shared by every VS asked meanwhile
  const learn = () => (lookup ??= (async () => {
    try {
      const [assignments, statuses] = await Promise.all([store.range(keys.assignments), store.range(keys.vsStatuses)]);
      for (const [prefix, kvs] of [[keys.assignments, assignments.kvs], [keys.vsStatuses, statuses.kvs]] as const) {
        for (const kv of kvs) {
          const [engine, vs] = kv.key.slice(prefix.length).split('/');
          if (engine && vs) remember(vs, engine);
        }
      }
    } finally {
      lookup = undefined;
    }
  })());
  return {
    async engineOf(vs) {
      if (!known.has(vs)) await learn();
      return known.get(vs);
    },
    remember,
    async apiUrlOf(engine) {
      const down = failing.get(engine);
      if (down && down.until > now()) throw down.err;
      const kv = await store.get(keys.engine(engine));
      if (!kv) throw nodeUnreachable('engine', engine, 'it is not registered: stopped, or down');
      const { apiUrl } = JSON.parse(kv.value) as EngineRecord;
      if (!apiUrl) throw nodeUnreachable('engine', engine, 'its record names no engine API: an engine of an older version, or `corral up`\'s');
      return apiUrl;
    },
    async engines() {
      const { kvs } = await store.range(keys.engines);
      return kvs.map((kv) => JSON.parse(kv.value) as EngineRecord).flatMap((e) => (e.apiUrl && !((failing.get(e.id)?.until ?? 0) > now()) ? [{ id: e.id, apiUrl: e.apiUrl }] : []));
    },
    failed(engine, err) {
      failing.set(engine, { until: now() + ENGINE_RETRY_AFTER_MS, err });
    },
  };
}
