// The delivery half of a watch on etcd (etcd-gateway-watch.ts, which both etcd stores'
// watches use): etcd's events, in the etcd3 client's shapes, to the
// Store's promise — in revision order, each revision once, one callback per revision.
//
// A watch that reconnects resumes from `nextRev`, the next revision it owes its callback,
// and anything below it (a replay after a reconnect) is dropped. Only etcd3's types are
// imported: the gateway store loads no etcd client.

import type { IEvent } from 'etcd3';
import { logger } from '../lib/log.ts';
import type { Keyspace } from './etcd-codec.ts';
import { InvalidArgumentError } from './errors.ts';
import type { Watcher, WatchEvent, WatchOptions } from './types.ts';

const log = logger('store');

export type OnEvents = (events: WatchEvent[], revision: number) => void;

/** The first revision a watch delivers: fromRevision, or the one after the store's current revision. */
export async function watchStart(opts: WatchOptions, current: () => Promise<number>): Promise<number> {
  const from = opts.fromRevision;
  if (from !== undefined && (!Number.isInteger(from) || from < 1)) throw new InvalidArgumentError('fromRevision must be an integer >= 1');
  return from ?? (await current()) + 1;
}

export class RevisionDelivery {
  constructor(
    private readonly ks: Keyspace,
    private readonly prefix: string,
    private readonly onEvents: OnEvents,
    /** The next revision owed to the callback: where a reconnect resumes. */
    public nextRev: number,
  ) {}

  /** Deliver one response's events, one callback per revision, skipping those already delivered. */
  deliver(events: IEvent[]): void {
    for (const [revision, group] of byRevision(events)) {
      if (revision < this.nextRev) continue;
      this.nextRev = revision + 1;
      try {
        this.onEvents(
          group.map((e) => this.event(e)),
          revision,
        );
      } catch (err) {
        log.error({ err, prefix: this.prefix, revision }, 'watch callback threw; delivery goes on');
      }
    }
  }

  /** The watch cannot go on: tell the caller through onError, or log it when there is none. */
  report(err: Error, onError: ((err: Error) => void) | undefined): void {
    if (onError) onError(err);
    else log.error({ err, prefix: this.prefix }, 'watch stopped');
  }

  private event(e: IEvent): WatchEvent {
    const prevKv = e.prev_kv ? this.ks.kv(e.prev_kv) : undefined;
    if (e.type === 'Delete') {
      const kv = { key: this.ks.unkey(e.kv.key), value: '', createRevision: 0, modRevision: Number(e.kv.mod_revision), version: 0, lease: 0 };
      return prevKv ? { type: 'delete', kv, prevKv } : { type: 'delete', kv };
    }
    const kv = this.ks.kv(e.kv);
    return prevKv ? { type: 'put', kv, prevKv } : { type: 'put', kv };
  }
}

/** Events grouped by the revision that made them, in order (a response may span several revisions). */
function byRevision(events: IEvent[]): [number, IEvent[]][] {
  const groups: [number, IEvent[]][] = [];
  for (const e of events) {
    const rev = Number(e.kv.mod_revision);
    const last = groups.at(-1);
    if (last && last[0] === rev) last[1].push(e);
    else groups.push([rev, [e]]);
  }
  return groups;
}

/** A store's open watches: each handed out as a Watcher that forgets itself when closed; all closed with the store. */
export class OpenWatches {
  readonly #open = new Set<Watcher>();
  #closed = false;

  /** A stream that finished starting after closeAll (its store closed meanwhile) is closed at once. */
  track(stream: Watcher): Watcher {
    if (this.#closed) stream.close();
    else this.#open.add(stream);
    return {
      close: () => {
        stream.close();
        this.#open.delete(stream);
      },
    };
  }

  closeAll(): void {
    this.#closed = true;
    for (const w of this.#open) w.close();
    this.#open.clear();
  }
}
