// Active health checks: every endpoint of a route with `health` is probed with a GET of
// its path (Host: the site's first domain) every intervalMs. `fall` failures in a row
// (an error, a timeout, or a status other than expectStatus / any 2xx–3xx) mark it
// down; `rise` successes in a row bring it back. An endpoint ejected by a failed request
// (passive) is also marked down, so it returns only after passing checks. Down endpoints
// are skipped like ejected ones (Ejections.isEjected). Each router process checks on its own.

import { request, type ClientRequest } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { Endpoint, HealthCheck, Route } from '../../model/index.ts';
import { endpointKey, type Ejections } from './ejections.ts';

export const HEALTH_DEFAULTS = { intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3 } as const;

interface Target {
  ep: Endpoint;
  host: string;
  check: Required<Omit<HealthCheck, 'expectStatus'>> & { expectStatus?: number };
  timer: NodeJS.Timeout | undefined;
  ok: number;
  bad: number;
  /** The check could not be sent (logged once). */
  warned?: boolean;
}

export class HealthChecks {
  readonly #targets = new Map<string, Target>();
  readonly #ejections: Ejections;
  readonly #log: Logger;
  #closed = false;

  constructor(ejections: Ejections, log: Logger) {
    this.#ejections = ejections;
    this.#log = log;
    ejections.onEject = (key) => {
      const t = this.#targets.get(key);
      if (t === undefined) return;
      t.ok = 0;
      this.#setDown(t, key, true, 'ejected');
    };
  }

  /** Check the endpoints of routes with `health`; stop checking the others. */
  setRoutes(routes: readonly Route[]): void {
    if (this.#closed) return;
    const wanted = new Map<string, { ep: Endpoint; host: string; check: Target['check'] }>();
    for (const r of routes) {
      if (r.health === undefined) continue;
      const check = { ...HEALTH_DEFAULTS, ...r.health };
      for (const ep of r.endpoints) {
        const key = endpointKey(ep);
        if (!wanted.has(key)) wanted.set(key, { ep, host: r.domains[0]?.replace(/^\*\./, 'health.') ?? 'localhost', check });
      }
    }
    for (const [key, t] of this.#targets) {
      if (wanted.has(key)) continue;
      clearTimeout(t.timer);
      this.#targets.delete(key);
      this.#ejections.setDown(key, false);
    }
    for (const [key, w] of wanted) {
      const t = this.#targets.get(key);
      if (t) Object.assign(t, { host: w.host, check: w.check });
      else {
        const fresh: Target = { ...w, timer: undefined, ok: 0, bad: 0 };
        this.#targets.set(key, fresh);
        this.#schedule(key, fresh, 0);
      }
    }
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#targets.values()) clearTimeout(t.timer);
    this.#targets.clear();
  }

  #schedule(key: string, t: Target, delay: number): void {
    t.timer = setTimeout(() => this.#probe(key, t), delay);
    t.timer.unref();
  }

  #probe(key: string, t: Target): void {
    const { check } = t;
    let settled = false;
    const done = (healthy: boolean) => {
      if (settled) return;
      settled = true;
      if (this.#targets.get(key) !== t) return; // no longer checked
      if (healthy) {
        t.bad = 0;
        if (++t.ok >= check.rise) this.#setDown(t, key, false, 'passed checks');
      } else {
        t.ok = 0;
        if (++t.bad >= check.fall) this.#setDown(t, key, true, 'failed checks');
      }
      this.#schedule(key, t, check.intervalMs);
    };
    let req: ClientRequest;
    try {
      req = request(
        { host: t.ep.address, port: t.ep.port, path: check.path, method: 'GET', agent: false, timeout: check.timeoutMs, headers: { host: t.host, 'user-agent': 'corral-health/1', 'x-corral-health': '1' } },
        (res) => {
          res.resume();
          const s = res.statusCode ?? 0;
          done(check.expectStatus !== undefined ? s === check.expectStatus : s >= 200 && s < 400);
        },
      );
    } catch (err) {
      // a path or Host node refuses to send (routes are checked on load; this is the last guard): a failed check, never a crash
      this.#warnUnsendable(key, t, err as Error);
      done(false);
      return;
    }
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.on('error', () => done(false));
    req.end();
  }

  #warnUnsendable(key: string, t: Target, err: Error): void {
    if (t.warned) return;
    t.warned = true;
    this.#log.warn({ event: 'health.check-unsendable', endpoint: key, vs: t.ep.vs, path: t.check.path, err: err.message }, 'health check cannot be sent; counted as failed');
  }

  #setDown(t: Target, key: string, down: boolean, why: string): void {
    if (this.#ejections.isDown(key) === down) return;
    this.#ejections.setDown(key, down);
    const fields = { event: down ? 'endpoint.down' : 'endpoint.up', endpoint: key, vs: t.ep.vs, why };
    if (down) this.#log.warn(fields, 'endpoint marked down');
    else this.#log.info(fields, 'endpoint back up');
  }
}
