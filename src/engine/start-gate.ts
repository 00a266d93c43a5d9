// The engine's start slots: at most `limit` VSs start at once, the rest wait. A slot is
// held from spawn until the VS is ready, has failed, or missed its start deadline;
// releasing it hands it straight to a waiter, so a VS arriving later never overtakes the
// queue. Waiters are served fairly between owners (customers): the next slot goes to the
// waiter whose owner holds the fewest slots now, the longest-waiting among those. One
// customer's servers that never become ready (each holds its slot until the start deadline,
// then is queued again) can so delay another customer's start — a wake, a deploy — by one
// start deadline at most, never hold every slot while others wait for ever.

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
  tryAcquire(owner?: string): ReleaseSlot | undefined;
  /** The next slot owner is due (fairly between owners); undefined when signal aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal, owner?: string): Promise<ReleaseSlot | undefined>;
}

/** The default limit: this machine's cores, at least 2. */
export function defaultMaxStarts(): number {
  return Math.max(2, availableParallelism());
}

interface Waiter {
  owner: string;
  grant: (slot: ReleaseSlot) => void;
}

export function createStartGate(limit: number = defaultMaxStarts()): StartGate {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxConcurrentStarts must be a whole number ≥ 1, got ${String(limit)}`);
  let active = 0;
  const held = new Map<string, number>(); // owner → slots held
  const queue: Waiter[] = []; // in arrival order

  function slot(owner: string): ReleaseSlot {
    held.set(owner, (held.get(owner) ?? 0) + 1);
    let holding = true;
    return () => {
      if (!holding) return;
      holding = false;
      const n = (held.get(owner) ?? 1) - 1;
      if (n === 0) held.delete(owner);
      else held.set(owner, n);
      const next = nextWaiter();
      if (next) next.grant(slot(next.owner));
      else active--;
    };
  }

  /** The waiter whose owner holds the fewest slots, the earliest of those; taken out of the queue. */
  function nextWaiter(): Waiter | undefined {
    let best = -1;
    let fewest = Infinity;
    for (let i = 0; i < queue.length && fewest > 0; i++) {
      const n = held.get(queue[i]!.owner) ?? 0;
      if (n < fewest) {
        fewest = n;
        best = i;
      }
    }
    return best < 0 ? undefined : queue.splice(best, 1)[0];
  }

  return {
    limit,
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    tryAcquire(owner = '') {
      if (active >= limit || queue.length > 0) return undefined;
      active++;
      return slot(owner);
    },
    acquire(signal, owner = '') {
      const now = this.tryAcquire(owner);
      if (now) return Promise.resolve(now);
      if (signal?.aborted) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          resolve(undefined);
        };
        const waiter: Waiter = {
          owner,
          grant: (s) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(s);
          },
        };
        queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
