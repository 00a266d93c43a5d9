// Signs of life of the endpoints, for the router's default per-try timeout (lenient): a
// request that has waited it out without a response head moves to another endpoint only if
// its endpoint shows no sign of life — it answered no request sent after this one, and it
// does not answer a probe either: one GET of the site's health path (the path its engine
// checks it with, Route.healthPath), on a new connection, within PROBE_TIMEOUT_MS, with a
// 2xx or 3xx. A server that is alive is working on a slow page (a report, a long poll): asked
// again elsewhere, the page would run twice. A server that is hung (a stopped process, a
// dead loop, a full accept queue) answers neither and its requests move on, after the
// per-try timeout and at most one probe timeout more.
//
// One probe per endpoint at a time, shared by every request waiting on it; a probe answered
// counts as an answer to a request sent when the probe was, so every request sent before it
// waits on. A route with no health path gets no probe (only answers count), as before.

import { request, type ClientRequest } from 'node:http';
import type { Route } from '../../model/index.ts';

/** How long a probe may take to answer before its endpoint counts as hung. */
export const PROBE_TIMEOUT_MS = 1_000;

export type Verdict = 'alive' | 'dead' | 'asking';

interface Probe {
  startedAt: number;
  req: ClientRequest | undefined;
  timer: NodeJS.Timeout | undefined;
  failed: boolean;
}

export class Liveness {
  /** Endpoint key → when the latest request (or probe) it answered was sent. */
  readonly #answered = new Map<string, number>();
  readonly #probes = new Map<string, Probe>();
  readonly #timeoutMs: number;

  constructor(timeoutMs = PROBE_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  /** The endpoint answered a request sent at `sentAt`. */
  answered(key: string, sentAt: number): void {
    if ((this.#answered.get(key) ?? 0) < sentAt) this.#answered.set(key, sentAt);
  }

  /**
   * Has the endpoint shown life since `since` (when a request still waiting was sent)? An
   * answer to a later request or probe: alive. Else a probe is asked (`asking`, until it
   * settles); one sent since `since` that failed: dead. No health path: dead at once.
   */
  verdict(key: string, address: string, port: number, route: Route, since: number, now: number): Verdict {
    if ((this.#answered.get(key) ?? 0) >= since) return 'alive';
    const p = this.#probes.get(key);
    if (p !== undefined && p.req !== undefined) return 'asking';
    if (p !== undefined && p.failed && p.startedAt >= since) return 'dead';
    if (route.healthPath === undefined) return 'dead';
    this.#probe(key, address, port, route.healthPath, route.domains[0]?.replace(/^\*\./, 'health.') ?? route.site, now);
    return this.#probes.get(key)?.req !== undefined ? 'asking' : 'dead';
  }

  /** Forget the endpoints no longer routed (their probes cut). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#answered.keys()) if (!keys.has(key)) this.#answered.delete(key);
    for (const key of [...this.#probes.keys()]) if (!keys.has(key)) this.#forget(key);
  }

  close(): void {
    for (const key of [...this.#probes.keys()]) this.#forget(key);
    this.#answered.clear();
  }

  #forget(key: string): void {
    const p = this.#probes.get(key);
    this.#probes.delete(key);
    if (p === undefined) return;
    clearTimeout(p.timer);
    p.req?.destroy();
  }

  #probe(key: string, address: string, port: number, path: string, host: string, now: number): void {
    const p: Probe = { startedAt: now, req: undefined, timer: undefined, failed: false };
    this.#probes.set(key, p);
    const settle = (alive: boolean) => {
      if (p.req === undefined) return;
      const req = p.req;
      p.req = undefined;
      clearTimeout(p.timer);
      req.destroy();
      if (alive) this.answered(key, p.startedAt);
      else p.failed = true;
    };
    try {
      p.req = request({ host: address, port, path, method: 'GET', agent: false, headers: { host, 'user-agent': 'corral-health/1', 'x-corral-health': '1', connection: 'close' } }, (res) => {
        settle((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
    } catch {
      p.failed = true; // a path or Host node will not send: no probe, no sign of life
      return;
    }
    p.req.on('error', () => settle(false));
    p.req.end();
    p.timer = setTimeout(() => settle(false), this.#timeoutMs);
    p.timer.unref();
  }
}
