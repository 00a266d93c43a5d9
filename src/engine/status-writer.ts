// Writes this engine's VS statuses under its lease. Writes to one key are serialised
// and coalesced (only the latest status matters); a failed write is retried, and
// rewriteAll() puts every status again after the engine got a new lease.

import type { Logger } from '../lib/log.ts';
import { keys, type VsStatus } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { sleep } from './sleep.ts';

export interface StatusWriter {
  set(status: VsStatus): void;
  /** Delete the VS's status; resolves once it is gone from the store (or the writer closed). */
  remove(vs: string): Promise<void>;
  /** Put every known status again (after a new lease); the writes retry on their own. */
  rewriteAll(): void;
  /** Stop writing; pending writes are dropped. */
  close(): void;
  /**
   * Stop writing until resume(), keeping what each VS's status should be (a drill's crash or
   * partition: the store is out of reach). remove() forgets the VS at once meanwhile.
   */
  pause(): void;
  resume(): void;
}

export interface StatusWriterOptions {
  store: Store;
  engineId: string;
  /** The engine's current lease; 0 while it has none (writes wait). */
  leaseId: () => number;
  log: Logger;
  retryMs?: number;
}

export function createStatusWriter(opts: StatusWriterOptions): StatusWriter {
  const { store, engineId, log } = opts;
  const retryMs = opts.retryMs ?? 500;
  const desired = new Map<string, VsStatus | null>();
  const dirty = new Set<string>();
  const flushing = new Map<string, Promise<void>>();
  const closed = new AbortController();
  let paused = false;

  async function writeOnce(vs: string, want: VsStatus | null) {
    const key = keys.vsStatus(engineId, vs);
    if (want === null) {
      await store.delete(key);
      return;
    }
    const lease = opts.leaseId();
    if (lease === 0) throw new Error('no lease');
    await store.put(key, JSON.stringify(want), { lease });
  }

  async function flush(vs: string) {
    while (dirty.has(vs) && !closed.signal.aborted && !paused) {
      dirty.delete(vs);
      const want = desired.get(vs) ?? null;
      try {
        await writeOnce(vs, want);
        if (want === null && !dirty.has(vs)) desired.delete(vs);
      } catch (err) {
        log.warn({ event: 'engine.status_write_failed', err, vs }, 'virtual server status could not be written');
        dirty.add(vs);
        await sleep(retryMs, closed.signal);
      }
    }
  }

  function schedule(vs: string): Promise<void> {
    dirty.add(vs);
    let p = flushing.get(vs);
    if (!p) {
      p = flush(vs).finally(() => flushing.delete(vs));
      flushing.set(vs, p);
    }
    return p;
  }

  return {
    set(status) {
      if (closed.signal.aborted) return;
      desired.set(status.vs, status);
      if (paused) dirty.add(status.vs);
      else void schedule(status.vs);
    },
    remove(vs) {
      if (closed.signal.aborted) return Promise.resolve();
      if (paused) {
        desired.delete(vs);
        dirty.delete(vs);
        return Promise.resolve();
      }
      desired.set(vs, null);
      return schedule(vs);
    },
    rewriteAll() {
      for (const vs of desired.keys()) void schedule(vs);
    },
    close() {
      closed.abort();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const vs of dirty) void schedule(vs);
    },
  };
}
