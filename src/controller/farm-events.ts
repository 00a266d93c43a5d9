// Farm events from observed state: a VS crashed or was OOM-killed (a new lastExit in its
// status), turned unhealthy (its health checks failing) or recovered; an engine joined,
// stopped or was lost. Stopped or lost is read from the engine record's last value, which
// the deletion's event carries (prevKv): an engine stopping gracefully first writes
// `stoppingAt` into it (engine/agent.ts close()); a record deleted without it expired
// with its lease (a crash, a kill, a partition). Its VS statuses are no witness: they
// share the lease and go in the same revision. Failovers are recorded by the reconciler
// when it replaces the VSs of a lost engine.

import { keyName, keys, type Assignment, type EngineRecord, type Site, type VsStatus } from '../model/index.ts';
import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';
import type { Logger } from '../lib/log.ts';
import type { EventLog } from './event-log.ts';
import { readRecord } from './records.ts';

interface Seen {
  exitAt: string | undefined;
  state: VsStatus['state'];
}

export async function watchFarmEvents(store: Store, events: EventLog, log: Logger): Promise<Watcher> {
  const seen = new Map<string, Seen>(); // by status key
  const live = new Map<string, Set<string>>(); // engine → status keys not deleted
  const swept = new Map<string, { revision: number; count: number }>(); // engine → its statuses deleted in one revision, the last
  const start = await store.range(keys.vsStatuses);
  for (const kv of start.kvs) {
    const s = JSON.parse(kv.value) as VsStatus;
    seen.set(kv.key, { exitAt: s.lastExit?.at, state: s.state });
    liveOf(s.engine).add(kv.key);
  }
  const fromRevision = start.revision + 1;
  const fail = (err: unknown) => log.error({ err, event: 'farm-events.write-failed' }, 'could not record a farm event');

  // One queue for both watches, so events are recorded in the order they happened.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (handle: (ev: WatchEvent) => Promise<void>) => (evs: WatchEvent[]) => {
    for (const ev of evs) queue = queue.then(() => handle(ev)).catch(fail);
  };
  const statusWatch = await store.watch(keys.vsStatuses, enqueue(onStatus), { fromRevision });
  const engineWatch = await store.watch(keys.engines, enqueue(onEngine), { fromRevision });

  function liveOf(engine: string): Set<string> {
    let set = live.get(engine);
    if (!set) live.set(engine, (set = new Set()));
    return set;
  }

  async function onStatus(ev: WatchEvent): Promise<void> {
    if (ev.type === 'delete') {
      seen.delete(ev.kv.key);
      const engine = engineOfStatus(ev.kv.key);
      live.get(engine)?.delete(ev.kv.key);
      const last = swept.get(engine);
      swept.set(engine, { revision: ev.kv.modRevision, count: last?.revision === ev.kv.modRevision ? last.count + 1 : 1 });
      return;
    }
    const s = JSON.parse(ev.kv.value) as VsStatus;
    liveOf(s.engine).add(ev.kv.key);
    const was = seen.get(ev.kv.key);
    seen.set(ev.kv.key, { exitAt: s.lastExit?.at, state: s.state });
    if (s.lastExit && was?.exitAt !== s.lastExit.at) {
      if (s.state === 'stopping' || s.state === 'stopped') return; // a requested stop, not a crash
      const how = s.lastExit.signal ? `signal ${s.lastExit.signal}` : `code ${String(s.lastExit.code)}`;
      const timeout = s.lastExit.startupTimeoutMs;
      await recordVs(s, s.lastExit.oom ? 'vs.oom' : 'vs.crashed', undefined,
        s.lastExit.oom ? `${s.vs} was killed for lack of memory (restart ${s.restarts})`
          : timeout !== undefined ? `${s.vs} was stopped by its engine: not healthy within its ${Math.round(timeout / 1000)} s start deadline (its health path never answered 2xx–3xx; restart ${s.restarts})`
            : `${s.vs} exited with ${how} (restart ${s.restarts})`);
      return;
    }
    // one event per transition: a status written again in the same state is not one
    if (s.state === 'unhealthy' && was?.state !== 'unhealthy') await recordVs(s, 'vs.unhealthy', 'error', `${s.vs} is failing its health checks`);
    else if (s.state === 'ready' && was?.state === 'unhealthy') await recordVs(s, 'vs.recovered', 'ok', `${s.vs} passes its health checks again`);
  }

  async function recordVs(s: VsStatus, action: string, result: 'ok' | 'error' | undefined, message: string): Promise<void> {
    const customer = await customerOf(store, s);
    await events.record({
      type: 'farm', action, ...(result !== undefined ? { result } : {}),
      site: s.site, engine: s.engine, vs: s.vs, target: `vs/${s.vs}`,
      ...(customer !== undefined ? { customer } : {}),
      message,
    });
  }

  async function onEngine(ev: WatchEvent): Promise<void> {
    const id = keyName(ev.kv.key);
    if (ev.type === 'put') {
      if (ev.prevKv) return;
      const e = JSON.parse(ev.kv.value) as EngineRecord;
      await events.record({ type: 'farm', action: 'engine.joined', engine: id, target: `engine/${id}`, message: `engine ${id} joined (${e.runtime} runtime)` });
      return;
    }
    if (lastRecord(ev.prevKv)?.stoppingAt !== undefined) {
      await events.record({ type: 'farm', action: 'engine.stopped', engine: id, target: `engine/${id}`, message: `engine ${id} stopped` });
      return;
    }
    // its statuses still here, or gone in the revision that took the record (the watches run apart)
    const last = swept.get(id);
    const left = (live.get(id)?.size ?? 0) + (last?.revision === ev.kv.modRevision ? last.count : 0);
    swept.delete(id);
    await events.record({
      type: 'farm', action: 'engine.lost', engine: id, target: `engine/${id}`, result: 'error',
      message: `engine ${id} lost: its lease expired without a graceful stop (crashed, killed or cut off)${left > 0 ? ` with ${left} virtual servers` : ''}`,
    });
  }

  return {
    close() {
      statusWatch.close();
      engineWatch.close();
    },
  };
}

/** `vs-status/<engine>/<vs>` → engine. */
function engineOfStatus(key: string): string {
  return key.slice(keys.vsStatuses.length).split('/')[0] ?? '';
}

function lastRecord(kv: KeyValue | undefined): EngineRecord | undefined {
  if (!kv) return undefined;
  try {
    return JSON.parse(kv.value) as EngineRecord;
  } catch {
    return undefined;
  }
}

async function customerOf(store: Store, s: VsStatus): Promise<string | undefined> {
  const a = await readRecord<Assignment>(store, keys.assignment(s.engine, s.vs));
  if (a) return a.value.customer;
  return (await readRecord<Site>(store, keys.site(s.site)))?.value.customer;
}
