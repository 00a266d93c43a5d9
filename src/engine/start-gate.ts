// The engine's start slots: at most `limit` VSs start at once, the rest wait in FIFO
// order. A slot is held from spawn until the VS is ready, has failed, or missed its
// start deadline; releasing it hands it straight to the longest waiter, so a VS
// arriving later never overtakes one already queued.

import { availableParallelism } from 'node:os';

/** Gives the slot back; safe to call twice. */
export type ReleaseSlot = () => void;

export interface StartGate {
  readonly limit: number;
  /** Slots held now. */
  readonly active: number;
  /** VSs waiting for a slot. */
  readonly waiting: number;
  /** A slot now, or undefined when all are held (or others already wait). */
  tryAcquire(): ReleaseSlot | undefined;
  /** The next slot in FIFO order; undefined when signal aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot | undefined>;
}

/** The default limit: this machine's cores, at least 2. */
export function defaultMaxStarts(): number {
  return Math.max(2, availableParallelism());
}

export function createStartGate(limit: number = defaultMaxStarts()): StartGate {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxConcurrentStarts must be a whole number ≥ 1, got ${String(limit)}`);
  let active = 0;
  const queue: ((slot: ReleaseSlot) => void)[] = [];

  function slot(): ReleaseSlot {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = queue.shift();
      if (next) next(slot());
      else active--;
    };
  }

  return {
    limit,
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    tryAcquire() {
      if (active >= limit || queue.length > 0) return undefined;
      active++;
      return slot();
    },
    acquire(signal) {
      const now = this.tryAcquire();
      if (now) return Promise.resolve(now);
      if (signal?.aborted) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const onAbort = () => {
          const i = queue.indexOf(grant);
          if (i >= 0) queue.splice(i, 1);
          resolve(undefined);
        };
        const grant = (s: ReleaseSlot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        };
        queue.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
