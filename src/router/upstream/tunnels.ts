// Open upgrade tunnels (WebSocket …) per endpoint, for drains: when an endpoint leaves
// every route its tunnels keep working for a grace period (clients get time to finish
// and reconnect elsewhere), then they are closed. The grace is the router's, or, when its
// route gave a drain timeout, that timeout and then the server's own stop (stopGraceMs)
// if longer: the server is stopped after that drain, and its app closes its tunnels
// itself then (its exit ends them anyway) rather than find them cut at that moment. An endpoint that comes back
// within the grace keeps its tunnels.

import type { Socket } from 'node:net';

export class Tunnels {
  readonly #open = new Map<string, Set<Socket>>();
  readonly #closing = new Map<string, NodeJS.Timeout>();
  /** Endpoint → the drain timeout of the route it was last seen in, when that route gave one. */
  readonly #drainMs = new Map<string, number>();
  readonly #graceMs: number;

  readonly #stopGraceMs: number;

  constructor(graceMs: number, stopGraceMs = 0) {
    this.#graceMs = graceMs;
    this.#stopGraceMs = stopGraceMs;
  }

  add(key: string, upstream: Socket): void {
    let set = this.#open.get(key);
    if (set === undefined) this.#open.set(key, (set = new Set()));
    set.add(upstream);
    upstream.once('close', () => {
      set.delete(upstream);
      if (set.size === 0 && this.#open.get(key) === set) this.#open.delete(key);
    });
  }

  count(key: string): number {
    return this.#open.get(key)?.size ?? 0;
  }

  /**
   * Endpoints still routed (with their route's drain timeout, if any); tunnels to the
   * others close after the grace period.
   */
  retain(live: ReadonlySet<string>, drainMs: ReadonlyMap<string, number> = new Map()): void {
    for (const key of live) {
      const ms = drainMs.get(key);
      if (ms === undefined) this.#drainMs.delete(key);
      else this.#drainMs.set(key, ms);
    }
    for (const [key, timer] of this.#closing) {
      if (!live.has(key)) continue;
      clearTimeout(timer);
      this.#closing.delete(key);
    }
    for (const key of this.#open.keys()) {
      if (live.has(key) || this.#closing.has(key)) continue;
      const timer = setTimeout(() => {
        this.#closing.delete(key);
        this.#drainMs.delete(key);
        for (const s of this.#open.get(key) ?? []) s.destroy();
      }, Math.max(this.#graceMs, (this.#drainMs.get(key) ?? -this.#stopGraceMs) + this.#stopGraceMs));
      timer.unref();
      this.#closing.set(key, timer);
    }
    for (const key of this.#drainMs.keys()) if (!live.has(key) && !this.#closing.has(key)) this.#drainMs.delete(key);
  }

  /** The endpoint is gone: cut its tunnels now. */
  cut(key: string): void {
    const timer = this.#closing.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.#closing.delete(key);
    for (const s of this.#open.get(key) ?? []) s.destroy();
  }

  /** Cut every tunnel now. */
  destroy(): void {
    for (const timer of this.#closing.values()) clearTimeout(timer);
    this.#closing.clear();
    this.#drainMs.clear();
    for (const set of this.#open.values()) for (const s of set) s.destroy();
  }
}
