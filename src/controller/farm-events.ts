// Farm events from observed state: a VS crashed or was OOM-killed (a new lastExit in its
// status), an engine joined, stopped or was lost (its record gone while its VS statuses
// remain: the lease expired rather than a graceful close). Failovers are recorded by the
// reconciler when it replaces the VSs of a lost engine.

import { keyName, keys, type Assignment, type EngineRecord, type Site, type VsStatus } from '../model/index.ts';
import type { Store, Watcher, WatchEvent } from '../store/types.ts';
import type { Logger } from '../lib/log.ts';
import type { EventLog } from './event-log.ts';
import { readRecord } from './records.ts';

export async function watchFarmEvents(store: Store, events: EventLog, log: Logger): Promise<Watcher> {
  const lastExit = new Map<string, string>();
  const start = await store.range(keys.vsStatuses);
  for (const kv of start.kvs) {
    const s = JSON.parse(kv.value) as VsStatus;
    if (s.lastExit) lastExit.set(s.vs, s.lastExit.at);
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

  async function onStatus(ev: WatchEvent): Promise<void> {
    if (ev.type === 'delete') {
      lastExit.delete(keyName(ev.kv.key));
      return;
    }
    const s = JSON.parse(ev.kv.value) as VsStatus;
    if (!s.lastExit || lastExit.get(s.vs) === s.lastExit.at) return;
    lastExit.set(s.vs, s.lastExit.at);
    if (s.state === 'stopping' || s.state === 'stopped') return; // a requested stop, not a crash
    const customer = await customerOf(store, s);
    const how = s.lastExit.signal ? `signal ${s.lastExit.signal}` : `code ${String(s.lastExit.code)}`;
    await events.record({
      type: 'farm', action: s.lastExit.oom ? 'vs.oom' : 'vs.crashed',
      site: s.site, engine: s.engine, vs: s.vs, target: `vs/${s.vs}`,
      ...(customer !== undefined ? { customer } : {}),
      message: s.lastExit.oom ? `${s.vs} was killed for lack of memory (restart ${s.restarts})` : `${s.vs} exited with ${how} (restart ${s.restarts})`,
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
    const left = (await store.range(keys.engineVsStatuses(id))).kvs.length;
    await events.record(left > 0
      ? { type: 'farm', action: 'engine.lost', engine: id, target: `engine/${id}`, result: 'error', message: `engine ${id} lost its lease with ${left} virtual servers` }
      : { type: 'farm', action: 'engine.stopped', engine: id, target: `engine/${id}`, message: `engine ${id} stopped` });
  }

  return {
    close() {
      statusWatch.close();
      engineWatch.close();
    },
  };
}

async function customerOf(store: Store, s: VsStatus): Promise<string | undefined> {
  const a = await readRecord<Assignment>(store, keys.assignment(s.engine, s.vs));
  if (a) return a.value.customer;
  return (await readRecord<Site>(store, keys.site(s.site)))?.value.customer;
}
