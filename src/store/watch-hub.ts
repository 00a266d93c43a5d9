// The SQLite store's watchers: opens streams, hands each committed revision to all
// of them, and tells compaction which history a replaying stream still needs.

import { InvalidArgumentError } from './errors.ts';
import type { WatchOptions } from './types.ts';
import { WatchStream, type OnEvents, type WatchSource } from './watch-stream.ts';
import type { WatchEvent } from './types.ts';

export class WatchHub {
  private readonly streams = new Set<WatchStream>();

  constructor(private readonly source: WatchSource) {}

  open(prefix: string, onEvents: OnEvents, opts: WatchOptions = {}): WatchStream {
    const from = opts.fromRevision ?? this.source.revision() + 1;
    if (!Number.isInteger(from) || from < 1) throw new InvalidArgumentError(`fromRevision must be an integer >= 1, got ${from}`);
    const stream = new WatchStream(prefix, onEvents, opts.onError, from, this.source, (s) => this.streams.delete(s));
    this.streams.add(stream);
    return stream;
  }

  /** Hand a committed revision to every stream. Must be called once per revision, in order. */
  publish(revision: number, events: WatchEvent[]): void {
    for (const stream of this.streams) stream.offer(revision, events);
  }

  /** The oldest revision some stream has yet to read from the log, if any. */
  oldestPinned(): number | undefined {
    let oldest: number | undefined;
    for (const stream of this.streams) {
      const pinned = stream.pinnedRevision;
      if (pinned !== undefined && (oldest === undefined || pinned < oldest)) oldest = pinned;
    }
    return oldest;
  }

  closeAll(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}
