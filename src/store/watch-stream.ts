// One watcher's delivery: first the history it asked for, read from the event log
// page by page, then live revisions handed over by the hub as they commit.
//
// Exactly-once without gaps rests on one invariant: nextRev is the next revision
// this stream owes its callback. A live stream accepts only revision nextRev; a
// replaying stream ignores live revisions, because it will read them from the log.
// Switching from replay to live happens in the same synchronous step that read the
// log up to the current revision, so no commit can fall between the two.

import { CompactedError } from './errors.ts';
import { logger } from '../lib/log.ts';
import { hasPrefix } from './prefix.ts';
import type { WatchEvent, Watcher } from './types.ts';

/** Revisions read from the log per step of a replay. */
const REPLAY_PAGE_REVISIONS = 1000;

const log = logger('store');

export interface EventBatch {
  revision: number;
  events: WatchEvent[];
}

/** What a stream reads history from. */
export interface WatchSource {
  revision(): number;
  /** Events up to and including this revision are gone from the log. */
  compactRevision(): number;
  /** The events under prefix with from <= revision <= to, one batch per revision, in order. */
  read(from: number, to: number, prefix: string): EventBatch[];
}

export type OnEvents = (events: WatchEvent[], revision: number) => void;

export class WatchStream implements Watcher {
  private nextRev: number;
  private replaying: boolean;
  private readonly queue: EventBatch[] = [];
  private scheduled = false;
  private pumping = false;
  private closed = false;

  constructor(
    private readonly prefix: string,
    private readonly onEvents: OnEvents,
    private readonly onError: ((err: Error) => void) | undefined,
    fromRevision: number,
    private readonly source: WatchSource,
    private readonly onClose: (stream: WatchStream) => void,
  ) {
    this.nextRev = fromRevision;
    this.replaying = fromRevision <= source.revision();
    if (this.replaying) this.schedule(queueMicrotask);
  }

  /** The oldest revision this stream still has to read from the log; undefined once live. */
  get pinnedRevision(): number | undefined {
    return this.replaying && !this.closed ? this.nextRev : undefined;
  }

  /** Called by the hub for every committed revision, in order, right after the commit. */
  offer(revision: number, events: WatchEvent[]): void {
    if (this.closed || this.replaying || revision < this.nextRev) return;
    this.nextRev = revision + 1;
    const mine = events.filter((e) => hasPrefix(e.kv.key, this.prefix));
    if (mine.length === 0) return;
    this.queue.push({ revision, events: mine });
    this.schedule(queueMicrotask);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
  }

  // Callbacks never run inside the write that produced them: delivery is always scheduled.
  private schedule(later: (fn: () => void) => unknown): void {
    if (this.scheduled || this.pumping || this.closed) return;
    this.scheduled = true;
    later(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    this.pumping = true;
    try {
      this.drain();
      if (this.replaying && !this.closed) {
        this.readPage();
        this.drain();
      }
    } finally {
      this.pumping = false;
    }
    // Yield between replay pages so a long history does not hold the event loop.
    if (this.replaying) this.schedule(setImmediate);
    else if (this.queue.length > 0) this.schedule(queueMicrotask);
  }

  /** Deliver queued batches; a callback that writes to the store just extends the queue. */
  private drain(): void {
    for (let batch = this.queue.shift(); batch && !this.closed; batch = this.queue.shift()) {
      try {
        this.onEvents(batch.events, batch.revision);
      } catch (err) {
        // A consumer's bug must not stall its stream nor anyone else's; it is logged, not retried.
        log.error({ err, prefix: this.prefix, revision: batch.revision }, 'watch callback threw');
      }
    }
  }

  private readPage(): void {
    const compacted = this.source.compactRevision();
    if (this.nextRev <= compacted) return this.fail(new CompactedError(this.nextRev, compacted));
    const current = this.source.revision();
    const to = Math.min(current, this.nextRev + REPLAY_PAGE_REVISIONS - 1);
    this.queue.push(...this.source.read(this.nextRev, to, this.prefix));
    this.nextRev = to + 1;
    if (to === current) this.replaying = false;
  }

  private fail(err: Error): void {
    this.close();
    if (this.onError) this.onError(err);
    else log.warn({ err, prefix: this.prefix }, 'watch stopped');
  }
}
