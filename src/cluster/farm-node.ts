// One node of the farm, whatever its mode: `corral up` (every part in one process, on
// SQLite) and the cluster roles (`corral controller`, `corral engine`, `corral router`: one
// part each, on etcd). It starts the parts in the farm's one order on one shutdown stack
// (lib/shutdown-stack.ts), so the stop is always the reverse:
//
//   store → controller → engine → router → the mode's last pieces
//
// Each mode passes the steps it runs (a role only its own part, as docs/architecture.md
// "Assembly" tabulates); each step starts its part with the mode's options and pushes the
// part's steps onto the stack. A step that throws unwinds what has started: close() by
// default, destroy() where the mode asks (a role that joined leaves its leases to expire).
// A stop asked during start-up (Ctrl-C: the `signal` aborted) is looked at after each step:
// the step running finishes (a half-started part could not be stopped in order), then
// what has started is closed — an asked stop, so close() whatever onFailure says — and the
// start rejects with the signal's reason.
//
// Once every part is up, the node's heap is settled after each burst of work
// (lib/heap-settle.ts: one full collection when the event loop has gone quiet and the heap
// grew; with `holdYoungWhenQuiet`, the young generation held at its size while quiet): V8
// kept a burst's pages for as long as the farm stayed idle.
//
// Light on purpose: it loads no part, so the router role (router-role.ts) stays free of
// controller, engine and database code.

import { mkdir } from 'node:fs/promises';
import type { Logger } from '../lib/log.ts';
import { processGc, quietHeapSettler, youngGrowth } from '../lib/heap-settle.ts';
import { mallocInUse } from '../lib/malloc.ts';
import { createShutdownStack, type ShutdownStack } from '../lib/shutdown-stack.ts';
import type { Store } from '../store/index.ts';

/** What every step gets: the one stack and the opened store. */
export interface FarmNodeBase {
  stack: ShutdownStack;
  store: Store;
}

export interface FarmNodeSteps<C, E, R, L> {
  /** The stack's logger (its `shutdown.*` events). */
  log: Logger;
  /** The node's folder, made (owner-only) before anything starts. */
  dir?: string;
  /** Open the store and push its close (the stop's last step); also hold what must come before it (router workers already booting). */
  store(stack: ShutdownStack): Promise<Store>;
  controller?(node: FarmNodeBase): Promise<C>;
  engine?(node: FarmNodeBase & { controller: C }): Promise<E>;
  router?(node: FarmNodeBase & { controller: C; engine: E }): Promise<R>;
  /** What the mode starts once its parts are up (`corral up`: its feed and URL files). */
  last?(node: FarmNodeBase & { controller: C; engine: E; router: R }): Promise<L>;
  /** How a failed start unwinds: `close` (default) or `destroy`, as on a crash. */
  onFailure?: 'close' | 'destroy';
  /** A stop asked while starting: once aborted, the start unwinds (close) after the step running and rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Hold V8's young generation at its size while the node is quiet (`corral up`: one farm per
   * process, measured there). The cluster roles leave V8's growth alone: `corral router`'s
   * primary holds it for good itself, and the young generation held in a test process that
   * runs a whole cluster (two controllers, two engines with Patroni, a router) made its
   * failover test fail.
   */
  holdYoungWhenQuiet?: boolean;
}

/** Each step's result (undefined for a step the mode does not run) and the stack its close() and destroy() unwind. */
export interface FarmNode<C, E, R, L> extends FarmNodeBase {
  controller: C;
  engine: E;
  router: R;
  last: L;
}

export async function startFarmNode<C = undefined, E = undefined, R = undefined, L = undefined>(s: FarmNodeSteps<C, E, R, L>): Promise<FarmNode<C, E, R, L>> {
  if (s.dir !== undefined) await mkdir(s.dir, { recursive: true, mode: 0o700 });
  const stack = createShutdownStack(s.log);
  // not before the store step: it also takes what was started before the node (booting router workers)
  const stopAsked = () => s.signal?.throwIfAborted();
  try {
    const base = { stack, store: await s.store(stack) };
    stopAsked();
    const controller = (await s.controller?.(base)) as C;
    stopAsked();
    const engine = (await s.engine?.({ ...base, controller })) as E;
    stopAsked();
    const router = (await s.router?.({ ...base, controller, engine })) as R;
    stopAsked();
    const last = (await s.last?.({ ...base, controller, engine, router })) as L;
    stopAsked();
    s.log.info({ event: 'process.malloc', malloc: mallocInUse() }, 'memory allocator of this process');
    stack.push('heap-settle', quietHeapSettler({ gc: processGc(), log: s.log, ...(s.holdYoungWhenQuiet ? { holdYoung: youngGrowth } : {}) }));
    return { ...base, controller, engine, router, last };
  } catch (err) {
    await (s.onFailure === 'destroy' && s.signal?.aborted !== true ? stack.destroy() : stack.close());
    throw err;
  }
}
