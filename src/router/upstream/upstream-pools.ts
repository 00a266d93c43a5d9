// The undici upstream (upstream.ts): keep-alive connection pools to the endpoints, one
// undici Pool per endpoint address; it carries every request (those with bodies when the raw upstream is on).
// Pools outlive route swaps; a pool whose endpoint left every route is closed
// gracefully (its in-flight requests finish) at the next swap; one whose endpoint is gone
// (abandon) is destroyed, its in-flight requests failed at once.

import { createRequire } from 'node:module';
import type { Pool } from 'undici';
import type { Endpoint } from '../../model/index.ts';
import type { ClientRequest } from '../front/client-exchange.ts';
import { endpointKey } from '../policy/ejections.ts';
import { upstreamRequestHeaders } from './forward-headers.ts';
import { ResponseRelay } from './response-relay.ts';
import type { TrustedProxies } from '../policy/trusted-proxies.ts';
import type { Exchange, Upstream, UpstreamRequest } from './upstream.ts';

// undici costs a router worker ≈ 20 MB of RSS loaded; most traffic never needs it (the raw
// upstream carries HTTP/1.1), so it is loaded on the first pool (a sync require: get() is sync).
let PoolClass: typeof Pool | undefined;
const loadPool = (): typeof Pool => (PoolClass ??= (createRequire(import.meta.url)('undici') as typeof import('undici')).Pool);

export interface PoolTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export class UpstreamPools implements Upstream {
  readonly name = 'undici';
  readonly #pools = new Map<string, Pool>();
  /** Retired pools still finishing their requests (→ their endpoint's key), so destroy() and abandon() can cut them off. */
  readonly #retired = new Map<Pool, string>();
  readonly #timeouts: PoolTimeouts;

  constructor(timeouts: PoolTimeouts) {
    this.#timeouts = timeouts;
  }

  carries(): boolean {
    return true;
  }

  prepare(req: ClientRequest, trust: TrustedProxies): string[] {
    return upstreamRequestHeaders(req, trust);
  }

  send(ep: Endpoint, key: string, r: UpstreamRequest, headersTimeoutMs: number | undefined, extra: readonly string[] | undefined): Exchange {
    const relay = new ResponseRelay(r, extra);
    const req = r.req;
    this.get(ep, key).dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers: r.head as string[], body: r.body, headersTimeout: headersTimeoutMs }, relay);
    return relay;
  }

  get(ep: Endpoint, key: string = endpointKey(ep)): Pool {
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const t = this.#timeouts;
      pool = new (loadPool())(`http://${key}`, {
        connections: null,
        pipelining: 1,
        connectTimeout: t.connectTimeoutMs,
        headersTimeout: t.headersTimeoutMs,
        bodyTimeout: t.bodyTimeoutMs,
        // idle 4 s at most, as the raw upstream: a backend's longer Keep-Alive hint (the web
        // runtime says 30 s, for the engine's checks) does not stretch it
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 4_000,
      });
      pool.on('connectionError', noop);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Close the pools of endpoints not in keys (gracefully: in-flight requests finish). */
  retain(keys: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      if (keys.has(key)) continue;
      this.#pools.delete(key);
      this.#retire(pool, key);
    }
  }

  /** The endpoint is gone: destroy its pools (routed or retired), failing their requests with err now. */
  abandon(key: string, err: Error): void {
    const pools = [...this.#retired].filter(([, k]) => k === key).map(([p]) => p);
    const routed = this.#pools.get(key);
    if (routed) pools.push(routed);
    this.#pools.delete(key);
    for (const pool of pools) {
      this.#retired.delete(pool);
      pool.destroy(err).catch(noop);
    }
  }

  /**
   * A connection to the endpoint was refused or broke: a pool has no way to close only its
   * idle connections, so one that has any is retired (closed gracefully: its tries in flight
   * finish) and the next tries go through a new pool, on new connections.
   */
  reset(key: string): void {
    const pool = this.#pools.get(key);
    if (pool === undefined || pool.stats.free === 0) return;
    this.#pools.delete(key);
    this.#retire(pool, key);
  }

  /** Close every pool gracefully. Safe to call twice. */
  async close(): Promise<void> {
    for (const [key, pool] of this.#pools) this.#retire(pool, key);
    this.#pools.clear();
    await Promise.all([...this.#retired.keys()].map((p) => p.close().catch(noop)));
  }

  /** Destroy every pool, aborting in-flight requests. Safe to call twice. */
  async destroy(): Promise<void> {
    const pools = [...this.#pools.values(), ...this.#retired.keys()];
    this.#pools.clear();
    this.#retired.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(noop)));
  }

  #retire(pool: Pool, key: string): void {
    this.#retired.set(pool, key);
    pool
      .close()
      .catch(noop)
      .finally(() => this.#retired.delete(pool));
  }
}

function noop(): void {}
