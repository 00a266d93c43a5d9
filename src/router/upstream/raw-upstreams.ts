// The raw upstream (upstream.ts): the fast path for bodiless requests (of HTTP/1.x and
// HTTP/2 clients), its connections per endpoint: idle keep-alive connections are reused
// most-recent first (warm, least likely to have been closed by the backend), new ones
// are opened as needed (no cap, like the undici pools). Connections of endpoints that
// left every route are closed as they become idle.

import type { Endpoint } from '../../model/index.ts';
import type { ClientRequest } from '../front/client-exchange.ts';
import type { FrontRequest } from '../front/front.ts';
import { upstreamRequestHead } from './forward-headers.ts';
import { RawConnection, type CoarseClock, type ConnectionTimeouts } from './raw-connection.ts';
import { RawExchange } from './raw-exchange.ts';
import { Liveness } from './liveness.ts';
import type { TrustedProxies } from '../policy/trusted-proxies.ts';
import type { Upstream, UpstreamRequest } from './upstream.ts';

export class RawUpstreams implements Upstream {
  readonly name = 'raw';
  readonly #idle = new Map<string, RawConnection[]>();
  readonly #all = new Set<RawConnection>();
  readonly #timeouts: ConnectionTimeouts;
  #live: ReadonlySet<string> | undefined;
  #closing = false;

  readonly #clock: CoarseClock = { now: Date.now() };
  #sweep: NodeJS.Timeout | undefined;
  /** The endpoints' signs of life (a lenient per-try timeout reads them). */
  readonly #liveness = new Liveness();
  readonly #sweepEveryMs: number;

  constructor(timeouts: ConnectionTimeouts) {
    this.#timeouts = timeouts;
    // Every connection's timeouts, checked at a quarter of the shortest (10–100 ms), late by
    // at most two sweeps; only while there are connections: an idle router does not wake for it.
    const shortest = Math.min(...[timeouts.connectTimeoutMs, timeouts.headersTimeoutMs, timeouts.bodyTimeoutMs, timeouts.keepAliveMs].filter((ms) => ms > 0));
    this.#sweepEveryMs = Math.max(10, Math.min(100, shortest / 4));
  }

  /** The timeouts' sweep is running (tests: it runs while there are connections, only then). */
  get sweeping(): boolean {
    return this.#sweep !== undefined;
  }

  /** Bodiless requests, of HTTP/1.x and HTTP/2 clients alike. */
  carries(_req: FrontRequest, hasBody: boolean): boolean {
    return !hasBody;
  }

  prepare(req: ClientRequest, trust: TrustedProxies): string {
    return upstreamRequestHead(req, trust);
  }

  /** Send a bodiless request to ep on an idle connection, else (or for a retry: r.fresh) a new one. */
  send(ep: Endpoint, key: string, r: UpstreamRequest, headersTimeoutMs: number | undefined, extra: readonly string[] | undefined): RawExchange {
    const exchange = new RawExchange(r, r.req.method === 'HEAD', extra);
    const conn = (r.fresh ? undefined : this.#idle.get(key)?.pop()) ?? this.#open(ep, key);
    exchange.conn = conn;
    conn.send(r.head as string, exchange, headersTimeoutMs, r.perTryLenient);
    return exchange;
  }

  /** Endpoints still routed; the others' connections close once idle. */
  retain(keys: ReadonlySet<string>): void {
    this.#live = keys;
    this.#liveness.retain(keys);
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

  /** A connection to the endpoint was refused or broke: close its idle ones. */
  reset(key: string): void {
    const list = this.#idle.get(key);
    if (list === undefined) return;
    this.#idle.delete(key);
    for (const c of list) c.destroy();
  }

  /** Close idle connections now, busy ones when their exchange ends. Safe twice. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stopSweep();
    this.#liveness.close();
    for (const list of this.#idle.values()) for (const c of list) c.destroy();
    this.#idle.clear();
  }

  /** Cut every connection. Safe twice. */
  async destroy(): Promise<void> {
    this.#closing = true;
    this.#stopSweep();
    this.#liveness.close();
    for (const c of [...this.#all]) c.destroy();
    this.#idle.clear();
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #open(ep: Endpoint, key: string): RawConnection {
    if (this.#sweep === undefined && !this.#closing) {
      this.#clock.now = Date.now(); // the clock stood still while nothing swept
      this.#sweep = setInterval(() => {
        const now = (this.#clock.now = Date.now());
        for (const c of this.#all) c.check(now);
      }, this.#sweepEveryMs).unref();
    }
    const conn = new RawConnection(
      key,
      ep.address,
      ep.port,
      this.#timeouts,
      this.#clock,
      this.#liveness,
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
    if (this.#all.size === 0) this.#stopSweep();
    const list = this.#idle.get(key);
    const i = list?.indexOf(conn) ?? -1;
    if (i !== -1) list!.splice(i, 1);
  }
}
