// Keeps a set of records in step with the store: load every record under a prefix, then
// watch from the next revision and publish the whole set after each event batch — or,
// given `update`, only the records each batch put and removed. If the watch breaks (e.g.
// its revision was compacted) it reloads and watches again (and publishes the whole set). Used for
// the route table (watch-routes.ts) and the certificates (watch-certificates.ts).

import type { Logger } from '../lib/log.ts';
import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type PrefixWatch = (() => void) & { close(): void };

export interface PrefixWatchOptions<T> {
  prefix: string;
  /** The record in kv, or undefined (the parser logs why) to ignore it. */
  parse(kv: KeyValue): T | undefined;
  publish(records: T[]): void;
  /** If given, each event batch after the first load: the records it put (new or changed) and those it removed. */
  update?(changes: { put: T[]; removed: T[] }): void;
  log: Logger;
  /** Names the log events: `${what}.watch-error`, `${what}.reload-failed`. */
  what: string;
}

export async function watchPrefix<T>(store: Store, o: PrefixWatchOptions<T>): Promise<PrefixWatch> {
  const records = new Map<string, T>();
  let watcher: Watcher | undefined;
  let closed = false;

  const publish = () => o.publish([...records.values()]);
  const apply = (kv: KeyValue) => {
    const rec = o.parse(kv);
    if (rec) records.set(kv.key, rec);
    else records.delete(kv.key);
  };

  const start = async (): Promise<void> => {
    const { kvs, revision } = await store.range(o.prefix);
    if (closed) return;
    records.clear();
    kvs.forEach(apply);
    publish();
    watcher = await store.watch(o.prefix, onEvents, { fromRevision: revision + 1, onError: restart });
    if (closed) watcher.close();
  };

  function onEvents(events: WatchEvent[]): void {
    if (closed) return;
    const before = new Map<string, T | undefined>(); // each key the batch touched, as it was (per-site updates only)
    for (const ev of events) {
      if (o.update && !before.has(ev.kv.key)) before.set(ev.kv.key, records.get(ev.kv.key));
      if (ev.type === 'put') apply(ev.kv);
      else records.delete(ev.kv.key);
    }
    if (!o.update) return publish();
    const put: T[] = [];
    const removed: T[] = [];
    for (const [key, was] of before) {
      const now = records.get(key);
      if (now !== undefined) put.push(now);
      else if (was !== undefined) removed.push(was);
    }
    if (put.length > 0 || removed.length > 0) o.update({ put, removed });
  }

  function restart(err: Error): void {
    if (closed) return;
    o.log.warn({ event: `${o.what}.watch-error`, err: err.message }, `${o.what} watch broke; reloading`);
    watcher?.close();
    start().catch((e: unknown) => {
      o.log.error({ event: `${o.what}.reload-failed`, err: (e as Error).message }, `${o.what} reload failed`);
      if (!closed) setTimeout(() => restart(e as Error), 1000).unref();
    });
  }

  await start();
  const close = (): void => {
    closed = true;
    watcher?.close();
  };
  return Object.assign(close, { close });
}
