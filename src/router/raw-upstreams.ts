// The raw fast path's connections, per endpoint: idle keep-alive connections are reused
// most-recent first (warm, least likely to have been closed by the backend), new ones
// are opened as needed (no cap, like the undici pools). Connections of endpoints that
// left every route are closed as they become idle.

import type { Endpoint } from '../model/index.ts';
import { RawConnection, type CoarseClock, type ConnectionTimeouts, type ExchangeSink } from './raw-connection.ts';

export class RawUpstreams {
  readonly #idle = new Map<string, RawConnection[]>();
  readonly #all = new Set<RawConnection>();
  readonly #timeouts: ConnectionTimeouts;
  #live: ReadonlySet<string> | undefined;
  #closing = false;

  readonly #clock: CoarseClock = { now: Date.now() };
  #sweep: NodeJS.Timeout | undefined;

  constructor(timeouts: ConnectionTimeouts) {
    this.#timeouts = timeouts;
    // Every connection's timeouts, checked at a quarter of the shortest (10–100 ms), late by at most two sweeps.
    const shortest = Math.min(...[timeouts.connectTimeoutMs, timeouts.headersTimeoutMs, timeouts.bodyTimeoutMs, timeouts.keepAliveMs].filter((ms) => ms > 0));
    const every = Math.max(10, Math.min(100, shortest / 4));
    this.#sweep = setInterval(() => {
      const now = (this.#clock.now = Date.now());
      for (const c of this.#all) c.check(now);
    }, every).unref();
  }

  /** Send a bodiless request to ep (headersTimeoutMs: a per-try timeout); returns the connection (destroy it to abort). */
  send(ep: Endpoint, key: string, head: string, sink: ExchangeSink, headersTimeoutMs?: number): RawConnection {
    const idle = this.#idle.get(key);
    const conn = idle?.pop() ?? this.#open(ep, key);
    conn.send(head, sink, headersTimeoutMs);
    return conn;
  }

  /** Endpoints still routed; the others' connections close once idle. */
  retain(keys: ReadonlySet<string>): void {
    this.#live = keys;
    for (const [key, list] of this.#idle) {
      if (keys.has(key)) continue;
      this.#idle.delete(key);
      for (const c of list) c.destroy();
    }
  }

  /** The endpoint is gone: fail the exchange on each of its connections with err, drop them all. */
  abandon(key: string, err: Error): void {
    this.#idle.delete(key);
    for (const c of [...this.#all]) if (c.key === key) c.abort(err);
  }

  /** Close idle connections now, busy ones when their exchange ends. Safe twice. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stopSweep();
    for (const list of this.#idle.values()) for (const c of list) c.destroy();
    this.#idle.clear();
  }

  /** Cut every connection. Safe twice. */
  async destroy(): Promise<void> {
    this.#closing = true;
    this.#stopSweep();
    for (const c of [...this.#all]) c.destroy();
    this.#idle.clear();
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #open(ep: Endpoint, key: string): RawConnection {
    const conn = new RawConnection(
      key,
      ep.address,
      ep.port,
      this.#timeouts,
      this.#clock,
      (c) => this.#parkIdle(key, c),
      (c) => this.#forget(key, c),
    );
    this.#all.add(conn);
    return conn;
  }

  #parkIdle(key: string, conn: RawConnection): void {
    if (this.#closing || (this.#live !== undefined && !this.#live.has(key))) return conn.destroy();
    let list = this.#idle.get(key);
    if (list === undefined) this.#idle.set(key, (list = []));
    list.push(conn);
  }

  #forget(key: string, conn: RawConnection): void {
    this.#all.delete(conn);
    const list = this.#idle.get(key);
    const i = list?.indexOf(conn) ?? -1;
    if (i !== -1) list!.splice(i, 1);
  }
}
