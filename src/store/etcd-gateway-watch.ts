// One watch over etcd's JSON gateway: one long POST /v3/watch, its answer a stream of
// JSON lines (etcd-gateway-http.ts), delivered with the Store's promise by the delivery
// both etcd stores share (etcd-watch-delivery.ts).
//
// When the stream is lost (the member died, restarted or lost the connection), the watch
// asks the next member, from the delivery's next owed revision: no gap, no duplicate.
// Reconnects back off from 50 ms to 1 s. etcd ends a watch itself only by cancelling it:
// with `compact_revision` when the revision asked for was compacted (STORE_COMPACTED
// through onError), otherwise with its reason. Both etcd stores watch through here.

import type { Keyspace } from './etcd-codec.ts';
import type { GatewayHttp } from './etcd-gateway-http.ts';
import { GRPC_CANCELLED, toJson, watchResult } from './etcd-json.ts';
import { storeError } from './etcd-errors.ts';
import { RevisionDelivery, watchStart, type OnEvents, type OpenWatches } from './etcd-watch-delivery.ts';
import { CompactedError, StoreClosedError, StoreUnavailableError } from './errors.ts';
import type { Watcher, WatchOptions } from './types.ts';

const FIRST_RECONNECT_MS = 50;
const LAST_RECONNECT_MS = 1000;

export class GatewayWatch implements Watcher {
  private closed = false;
  private stream: { abort(): void } | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = FIRST_RECONNECT_MS;
  private readonly delivery: RevisionDelivery;
  /** Settles watch(): etcd confirmed the watch, refused it, or no member confirmed it in time. */
  private started: { resolve(): void; reject(err: Error): void; deadline: number } | undefined;

  private constructor(
    private readonly http: GatewayHttp,
    private readonly ks: Keyspace,
    private readonly prefix: string,
    onEvents: OnEvents,
    private readonly onError: ((err: Error) => void) | undefined,
    fromRevision: number,
  ) {
    this.delivery = new RevisionDelivery(ks, prefix, onEvents, fromRevision);
  }

  /** A watch from fromRevision, once etcd has confirmed it; STORE_UNAVAILABLE if no member did by deadline (epoch ms). */
  static start(
    http: GatewayHttp,
    ks: Keyspace,
    prefix: string,
    onEvents: OnEvents,
    opts: { fromRevision: number; deadline: number; onError?: ((err: Error) => void) | undefined },
  ): Promise<GatewayWatch> {
    const watch = new GatewayWatch(http, ks, prefix, onEvents, opts.onError, opts.fromRevision);
    return new Promise<void>((resolve, reject) => {
      watch.started = { resolve, reject, deadline: opts.deadline };
      watch.connect();
    }).then(() => watch);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.stream?.abort();
  }

  private connect(): void {
    this.retry = undefined;
    if (this.closed) return;
    const request = { ...(toJson(this.ks.range(this.prefix)) as object), start_revision: String(this.delivery.nextRev), prev_kv: true };
    try {
      this.stream = this.http.stream('/v3/watch', { create_request: request }, { line: (text) => this.receive(text), end: (err) => this.lost(err) });
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private receive(text: string): void {
    if (this.closed) return;
    try {
      const res = watchResult(text);
      if (res.canceled) return this.cancelled(res.cancelReason, res.compactRevision);
      if (res.created) this.confirmed();
      this.delivery.deliver(res.events);
    } catch (err) {
      // A line that is not etcd's (STORE_BAD_RESPONSE) fails the watch; an error etcd sent in
      // the stream is mapped first, and one a member sends as it goes (unavailable, or its
      // stream cancelled: gRPC code 1) resumes on the next member.
      const mapped = storeError(err);
      if (mapped instanceof StoreUnavailableError) this.lost(mapped);
      else if ((err as { grpcCode?: number }).grpcCode === GRPC_CANCELLED) this.lost(new StoreUnavailableError((err as Error).message, { cause: err }));
      else this.fail(err as Error);
    }
  }

  private confirmed(): void {
    this.backoffMs = FIRST_RECONNECT_MS;
    this.started?.resolve();
    this.started = undefined;
  }

  /** etcd cancelled the watch: compacted history, or another reason (`Watcher canceled: <reason>`, the words etcd3's watcher used). */
  private cancelled(reason: string, compactRevision: number): void {
    // etcd keeps history from compact_revision on: "kept after" the one before it.
    this.fail(compactRevision > 0 ? new CompactedError(this.delivery.nextRev, compactRevision - 1) : new Error(`Watcher canceled: ${reason}`));
  }

  /** The stream is gone: ask the next member from the next owed revision, unless it cannot be helped. */
  private lost(err: Error): void {
    if (this.closed) return;
    this.stream?.abort();
    this.stream = undefined;
    if (!(err instanceof StoreUnavailableError)) return this.fail(err);
    if (this.started && Date.now() + this.backoffMs >= this.started.deadline) {
      const started = this.started;
      this.started = undefined;
      this.close();
      return started.reject(err);
    }
    this.retry = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, LAST_RECONNECT_MS);
  }

  /** The watch cannot go on: onError hears why; watch() resolves if it had not yet (a store closing under it rejects instead). */
  private fail(err: Error): void {
    if (this.closed) return;
    if (this.started && err instanceof StoreClosedError) {
      // the store closed while the watch was starting: watch() rejects, as any call after close does
      const started = this.started;
      this.started = undefined;
      this.close();
      return started.reject(err);
    }
    this.close();
    this.delivery.report(storeError(err) as Error, this.onError);
    this.started?.resolve();
    this.started = undefined;
  }
}

/**
 * A store's watch (both etcd stores watch so): from opts.fromRevision, or the one after the
 * store's current revision; started within callTimeoutMs; tracked by the store's watches.
 */
export async function storeWatch(
  http: GatewayHttp,
  ks: Keyspace,
  prefix: string,
  onEvents: OnEvents,
  opts: WatchOptions,
  store: { revision(): Promise<number>; callTimeoutMs: number; watches: OpenWatches },
): Promise<Watcher> {
  const fromRevision = await watchStart(opts, () => store.revision());
  const deadline = Date.now() + store.callTimeoutMs;
  const stream = await GatewayWatch.start(http, ks, prefix, onEvents, { fromRevision, deadline, onError: opts.onError });
  return store.watches.track(stream);
}
