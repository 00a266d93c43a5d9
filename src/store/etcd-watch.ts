// One watch on etcd, delivered with the Store's promise: in revision order, each
// revision once, one callback per revision, and no gap across reconnects.
//
// etcd3's watcher reconnects by itself (to another member when one dies), but it
// resumes from the revision in the last response header, which can be ahead of
// what was delivered (a creation header carries the store's current revision while
// history is still to come). So this stream keeps its own `nextRev` — the next
// revision it owes its callback — rewrites the resume point to it on every
// disconnect, and drops any event below it (a replay after a reconnect).

import { Range, type Etcd3, type IEvent, type IWatchResponse, type Watcher as EtcdWatcher } from 'etcd3';
import { logger } from '../lib/log.ts';
import type { Keyspace } from './etcd-codec.ts';
import { CompactedError } from './errors.ts';
import { storeError } from './etcd-errors.ts';
import type { WatchEvent, Watcher } from './types.ts';

const log = logger('store');

export type OnEvents = (events: WatchEvent[], revision: number) => void;

export class EtcdWatchStream implements Watcher {
  private watcher: EtcdWatcher | undefined;
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    private readonly ks: Keyspace,
    private readonly prefix: string,
    private readonly onEvents: OnEvents,
    private readonly onError: ((err: Error) => void) | undefined,
    private nextRev: number,
  ) {}

  static async start(
    client: Etcd3,
    ks: Keyspace,
    prefix: string,
    onEvents: OnEvents,
    fromRevision: number,
    onError?: (err: Error) => void,
  ): Promise<EtcdWatchStream> {
    const stream = new EtcdWatchStream(client, ks, prefix, onEvents, onError, fromRevision);
    await stream.open();
    return stream;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.cancel().catch(() => {});
  }

  private async open(): Promise<void> {
    const { key, range_end } = this.ks.range(this.prefix);
    const builder = this.client.watch().inRange(new Range(key, range_end)).withPreviousKV().startRevision(String(this.nextRev));
    const watcher = builder.watcher();
    this.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => this.receive(res));
    // Resume exactly where delivery stands, not where etcd3's last header points.
    watcher.on('disconnected', () => {
      (watcher.request as { start_revision?: string | number }).start_revision = String(this.nextRev);
    });
    watcher.on('error', (err: Error) => void this.fail(err));
    await new Promise<void>((resolve, reject) => {
      watcher.once('connected', () => resolve());
      watcher.once('error', (err: Error) => reject(storeError(err)));
    }).catch(async (err) => {
      // A watch refused at creation (e.g. compacted) is reported through onError, as a later failure is.
      await this.fail(err as Error);
    });
  }

  private receive(res: IWatchResponse): void {
    if (this.closed || res.events.length === 0) return;
    for (const [revision, events] of byRevision(res.events)) {
      if (revision < this.nextRev) continue;
      this.nextRev = revision + 1;
      try {
        this.onEvents(
          events.map((e) => this.event(e)),
          revision,
        );
      } catch (err) {
        log.error({ err, prefix: this.prefix, revision }, 'watch callback threw; delivery goes on');
      }
    }
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

  /** The watch was cancelled by etcd: tell the caller why, as a StoreError when it is one. */
  private async fail(err: Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const compacted = await this.compactedAt(this.nextRev);
    const reported = compacted ?? (storeError(err) as Error);
    if (this.onError) this.onError(reported);
    else log.error({ err: reported, prefix: this.prefix }, 'watch stopped');
  }

  /** CompactedError when revision is no longer in etcd's history; undefined otherwise. */
  private async compactedAt(revision: number): Promise<CompactedError | undefined> {
    try {
      await this.client.kv.range({ key: this.ks.key(this.prefix), revision, limit: 1 });
      return undefined;
    } catch (err) {
      const m = /compacted/.test((err as Error).message);
      // etcd does not say how far it compacted; at least up to the revision asked for.
      return m ? new CompactedError(revision, revision) : undefined;
    }
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
