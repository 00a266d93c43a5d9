// What every conformance case uses: stores closed when the test ends, a key
// prefix of its own, and a recorder of watch batches to wait on (never sleep on).

import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { waitFor } from '../../lib/wait.ts';
import type { Store, WatchEvent, WatchOptions, Watcher } from '../types.ts';

export interface StoreFactory {
  /** A store to test. Implementations may share one backend (etcd): each case keeps to its own prefix. */
  open(): Promise<Store>;
  /** Another store on the data of the latest open(), after the case has closed that one: a restart. */
  reopen?(): Promise<Store>;
  /** A 1 s lease expires within about a second (SQLite). False for backends that stretch short TTLs (etcd). */
  fastLeases: boolean;
}

export interface Harness {
  factory: StoreFactory;
  /** Open a store that is closed when the test ends. */
  open(t: TestContext): Promise<Store>;
  /** Reopen (see StoreFactory.reopen); closed when the test ends. */
  reopen(t: TestContext): Promise<Store>;
  /** A key prefix no other case uses, ending in '/'. */
  prefix(): string;
  /** How long to wait for a 1 s lease to expire. */
  expiryTimeoutMs: number;
}

export function harness(factory: StoreFactory): Harness {
  const closing = async (t: TestContext, store: Store) => {
    t.after(() => store.close());
    return store;
  };
  return {
    factory,
    open: async (t) => closing(t, await factory.open()),
    reopen: async (t) => {
      if (!factory.reopen) throw new Error('factory has no reopen');
      return closing(t, await factory.reopen());
    },
    prefix: () => `/conformance/${randomUUID()}/`,
    expiryTimeoutMs: factory.fastLeases ? 5_000 : 15_000,
  };
}

export interface Batch {
  revision: number;
  events: WatchEvent[];
}

/** Records a watch's batches and errors; wait for what you expect with until(). */
export class WatchRecorder {
  readonly batches: Batch[] = [];
  readonly errors: Error[] = [];
  watcher!: Watcher;

  static async start(t: TestContext, store: Store, prefix: string, opts: Omit<WatchOptions, 'onError'> = {}): Promise<WatchRecorder> {
    const rec = new WatchRecorder();
    rec.watcher = await store.watch(prefix, (events, revision) => rec.batches.push({ revision, events }), {
      ...opts,
      onError: (err) => rec.errors.push(err),
    });
    t.after(() => rec.watcher.close());
    return rec;
  }

  get events(): WatchEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  /** The keys of the events so far, as 'put <key>' / 'delete <key>'. */
  get log(): string[] {
    return this.events.map((e) => `${e.type} ${e.kv.key}`);
  }

  async until(check: (rec: WatchRecorder) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => check(this), { what, timeoutMs });
  }

  /** Wait until a batch at or after revision has arrived. */
  async untilRevision(revision: number, timeoutMs = 10_000): Promise<void> {
    await this.until((r) => (r.batches.at(-1)?.revision ?? 0) >= revision, `watch batch at revision ${revision}`, timeoutMs);
  }
}

/** Assert-friendly: the revisions of the batches must strictly increase. */
export function strictlyIncreasing(revisions: number[]): boolean {
  return revisions.every((r, i) => i === 0 || r > (revisions[i - 1] as number));
}
