// This engine's desired state: the assignments under `assignments/<engine>/`. Reads
// them once, then watches from the next revision and hands over the whole map after
// every change. If the watch breaks (e.g. its revision was compacted) it starts over.
// Each record is checked with the model's schema (the API's own rules): one the engine
// cannot run is skipped, logged and counted; the other virtual servers run on.

import type { Logger } from '../lib/log.ts';
import { assignmentCheck, keyName, parseShared, type Assignment } from '../model/index.ts';
import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';
import { recordBadRecord } from './metrics.ts';

export type Assignments = ReadonlyMap<string, Assignment>;

export interface AssignmentWatch {
  close(): void;
}

export async function watchAssignments(store: Store, prefix: string, onChange: (all: Assignments) => void, log: Logger): Promise<AssignmentWatch> {
  let current = new Map<string, Assignment>();
  let watcher: Watcher | undefined;
  let closed = false;

  const apply = (events: WatchEvent[]) => {
    const next = new Map(current);
    for (const ev of events) {
      const vs = keyName(ev.kv.key);
      const a = ev.type === 'put' ? parse(ev.kv, log) : undefined;
      if (a) next.set(vs, a);
      else next.delete(vs);
    }
    current = next;
    onChange(current);
  };

  const begin = async () => {
    const { kvs, revision } = await store.range(prefix);
    current = new Map();
    for (const kv of kvs) {
      const a = parse(kv, log);
      if (a) current.set(keyName(kv.key), a);
    }
    onChange(current);
    let broken = false;
    const w = await store.watch(prefix, (events) => apply(events), {
      fromRevision: revision + 1,
      onError: (err) => {
        log.warn({ event: 'engine.assignment_watch_restart', err }, 'assignment watch broke; restarting it');
        broken = true;
        watcher?.close();
        if (!closed) void restart();
      },
    });
    watcher = w;
    if (closed || broken) w.close();
  };

  const restart = async () => {
    while (!closed) {
      try {
        await begin();
        return;
      } catch (err) {
        log.error({ event: 'engine.assignment_watch_failed', err }, 'assignment watch failed');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };

  await begin();
  return {
    close() {
      closed = true;
      watcher?.close();
    },
  };
}

/** The assignment in kv, or undefined (logged, counted in corral_engine_bad_records_total) if it is not one this engine can run. */
function parse(kv: KeyValue, log: Logger): Assignment | undefined {
  let a: unknown;
  try {
    a = parseShared(kv.value);
  } catch {
    a = undefined;
  }
  const vs = keyName(kv.key);
  if (assignmentCheck.is(a) && a.vs === vs) return a;
  const problem = a === undefined ? 'not JSON' : (assignmentCheck.problem(a) ?? `its vs is not ${JSON.stringify(vs)}, the name in its key`);
  const site = typeof (a as Partial<Assignment> | undefined)?.site === 'string' ? String((a as Assignment).site).slice(0, 64) : 'unknown';
  log.error({ event: 'engine.assignment_invalid', key: kv.key, vs, site, problem }, 'assignment record refused');
  recordBadRecord('assignment', site);
  return undefined;
}
