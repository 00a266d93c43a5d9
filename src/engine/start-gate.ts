// The engine's start slots: at most `limit` VSs start at once, the rest wait. A slot is
// held from spawn until the VS is ready, has failed, or missed its start deadline;
// releasing it hands it straight to a waiter, so a VS arriving later never overtakes the
// queue. Waiters are served fairly between owners (customers): the next slot goes to the
// waiter whose owner holds the fewest slots now, the longest-waiting among those. One
// customer's servers that never become ready (each holds its slot until the start deadline,
// then is queued again) can so delay another customer's start — a wake, a deploy — by one
// start deadline at most, never hold every slot while others wait for ever.
//
// The last slot is kept for first tries: a VS whose last start never became ready (it
// failed, exited or missed its deadline) is a `retry` and may hold at most limit − 1 slots
// (with limit ≥ 2). Servers that never get ready so take the slots only on their first
// try; afterwards a wake, a deploy or a scale-up finds the last slot free at once instead
// of waiting out a start deadline.

import { availableParallelism } from 'node:os';

/** Gives the slot back; safe to call twice. */
export type ReleaseSlot = () => void;

export interface StartGate {
  readonly limit: number;
  /** Slots held now. */
  readonly active: number;
  /** VSs waiting for a slot. */
  readonly waiting: number;
  /** Whether tryAcquire would give a slot now. */
  wouldStart(kind?: StartKind): boolean;
  /** A slot now, or undefined when all are held (or others already due one wait). */
  tryAcquire(owner?: string, kind?: StartKind): ReleaseSlot | undefined;
  /** The next slot owner is due (fairly between owners); undefined when signal aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal, owner?: string, kind?: StartKind): Promise<ReleaseSlot | undefined>;
}

/** `retry`: the VS's last start never became ready; it stays off the last slot. */
export type StartKind = 'first' | 'retry';

/** The default limit: this machine's cores, at least 2. */
export function defaultMaxStarts(): number {
  return Math.max(2, availableParallelism());
}

interface Waiter {
  owner: string;
  kind: StartKind;
  grant: (slot: ReleaseSlot) => void;
}

export function createStartGate(limit: number = defaultMaxStarts()): StartGate {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxConcurrentStarts must be a whole number ≥ 1, got ${String(limit)}`);
  let active = 0;
  const held = new Map<string, number>(); // owner → slots held
  const queue: Waiter[] = []; // in arrival order
  const retryLimit = limit > 1 ? limit - 1 : 1;
  const mayStart = (kind: StartKind) => active < (kind === 'retry' ? retryLimit : limit);

  function slot(owner: string): ReleaseSlot {
    active++;
    held.set(owner, (held.get(owner) ?? 0) + 1);
    let holding = true;
    return () => {
      if (!holding) return;
      holding = false;
      active--;
      const n = (held.get(owner) ?? 1) - 1;
      if (n === 0) held.delete(owner);
      else held.set(owner, n);
      for (let next = dueWaiter(); next; next = dueWaiter()) next.grant(slot(next.owner));
    };
  }

  /** The waiter that may start now whose owner holds the fewest slots, the earliest of those; taken out of the queue. */
  function dueWaiter(): Waiter | undefined {
    let best = -1;
    let fewest = Infinity;
    for (let i = 0; i < queue.length && fewest > 0; i++) {
      const w = queue[i]!;
      if (!mayStart(w.kind)) continue;
      const n = held.get(w.owner) ?? 0;
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
    wouldStart(kind = 'first') {
      return mayStart(kind) && !queue.some((w) => mayStart(w.kind)); // never overtake a waiter that could start
    },
    tryAcquire(owner = '', kind = 'first') {
      return this.wouldStart(kind) ? slot(owner) : undefined;
    },
    acquire(signal, owner = '', kind = 'first') {
      const now = this.tryAcquire(owner, kind);
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
          kind,
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
