// Open upgrade tunnels (WebSocket …) per endpoint, for drains: when an endpoint leaves
// every route its tunnels keep working for a grace period (clients get time to finish
// and reconnect elsewhere), then they are closed. An endpoint that comes back within
// the grace keeps its tunnels.

import type { Socket } from 'node:net';

export class Tunnels {
  readonly #open = new Map<string, Set<Socket>>();
  readonly #closing = new Map<string, NodeJS.Timeout>();
  readonly #graceMs: number;

  constructor(graceMs: number) {
    this.#graceMs = graceMs;
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

  /** Endpoints still routed; tunnels to the others close after the grace period. */
  retain(live: ReadonlySet<string>): void {
    for (const [key, timer] of this.#closing) {
      if (!live.has(key)) continue;
      clearTimeout(timer);
      this.#closing.delete(key);
    }
    for (const key of this.#open.keys()) {
      if (live.has(key) || this.#closing.has(key)) continue;
      const timer = setTimeout(() => {
        this.#closing.delete(key);
        for (const s of this.#open.get(key) ?? []) s.destroy();
      }, this.#graceMs);
      timer.unref();
      this.#closing.set(key, timer);
    }
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
    for (const set of this.#open.values()) for (const s of set) s.destroy();
  }
}
