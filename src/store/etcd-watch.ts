// One watch on etcd through the etcd3 client, delivered with the Store's promise: in
// revision order, each revision once, one callback per revision, and no gap across
// reconnects (the delivery itself: etcd-watch-delivery.ts).
//
// etcd3's watcher reconnects by itself (to another member when one dies), but it
// resumes from the revision in the last response header, which can be ahead of
// what was delivered (a creation header carries the store's current revision while
// history is still to come). So this stream rewrites the resume point to the
// delivery's `nextRev` on every disconnect, and the delivery drops any event below it.

import { Range, type Etcd3, type IWatchResponse, type Watcher as EtcdWatcher } from 'etcd3';
import type { Keyspace } from './etcd-codec.ts';
import { CompactedError } from './errors.ts';
import { storeError } from './etcd-errors.ts';
import { RevisionDelivery, type OnEvents } from './etcd-watch-delivery.ts';
import type { Watcher } from './types.ts';

export type { OnEvents };

export class EtcdWatchStream implements Watcher {
  private watcher: EtcdWatcher | undefined;
  private closed = false;
  private readonly delivery: RevisionDelivery;

  private constructor(
    private readonly client: Etcd3,
    private readonly ks: Keyspace,
    private readonly prefix: string,
    onEvents: OnEvents,
    private readonly onError: ((err: Error) => void) | undefined,
    fromRevision: number,
  ) {
    this.delivery = new RevisionDelivery(ks, prefix, onEvents, fromRevision);
  }

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
    const builder = this.client.watch().inRange(new Range(key, range_end)).withPreviousKV().startRevision(String(this.delivery.nextRev));
    const watcher = builder.watcher();
    this.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => {
      if (!this.closed) this.delivery.deliver(res.events);
    });
    // Resume exactly where delivery stands, not where etcd3's last header points.
    watcher.on('disconnected', () => {
      (watcher.request as { start_revision?: string | number }).start_revision = String(this.delivery.nextRev);
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

  /** The watch was cancelled by etcd: tell the caller why, as a StoreError when it is one. */
  private async fail(err: Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const compacted = await this.compactedAt(this.delivery.nextRev);
    this.delivery.report(compacted ?? (storeError(err) as Error), this.onError);
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
