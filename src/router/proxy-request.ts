// Forwarding one HTTP request to its site: pick an endpoint, dispatch, and on failure
// eject the endpoint and retry on another when retry-policy allows (at most one try
// per endpoint, at least two tries in all, or the site's maxTries) and the site's retry
// budget has room, else answer with the mapped error. A replayable request's tries each
// get the site's per-try timeout for the response headers. A request that no server took
// (its last try refused, or no endpoint left), or a replayable one whose server went away
// under it and that has no try left, is held and tried again with a growing pause
// for up to startHoldMs from its first hold (recover-holds.ts): a crashed server's restart
// fails nothing that had not reached it. Breaks in a row on one endpoint are one death and
// count once toward MAX_BROKEN_TRIES (a killed server's closing listener still takes a
// retry's new connection, then resets it); a hold ends the row.

import type { IncomingMessage } from 'node:http';
import type { ClientReply } from './front/client-exchange.ts';
import { bodyStream, continueIfAsked, type FrontRequest } from './front/front.ts';
import type { Logger } from '../lib/log.ts';
import type { Endpoint, Route } from '../model/index.ts';
import type { Readable } from 'node:stream';
import type { Balancers } from './policy/balance-policy.ts';
import { endpointKey, type Ejections } from './policy/ejections.ts';
import { sendError, toRouterError } from './error-response.ts';
import { NoEndpointError, SiteBusyError } from './errors.ts';
import type { RouterConfig } from './options.ts';
import { limitBody } from './policy/site-limits.ts';
import type { AccessRecord } from './access-log.ts';
import type { RequestEnd } from './request-ends.ts';
import type { Tunnels } from './upstream/tunnels.ts';
import { brokeAfterSending, ejects, failureKind, hasBody, isReplayable, maxTries, mayRetry, perTryTimeoutMs } from './policy/retry-policy.ts';
import type { RetryBudget } from './policy/retry-budget.ts';
import type { TimeoutStreaks } from './policy/timeout-streaks.ts';
import type { SendStalls } from './front/send-stalls.ts';
import type { EndpointSlots } from './policy/endpoint-slots.ts';
import { HoldSchedule, mayHold, type RecoverHolds } from './policy/recover-holds.ts';
import { recordRetryBudgetExhausted, recordSiteBusy } from './request-series.ts';
import type { TrustedProxies } from './policy/trusted-proxies.ts';
import type { Exchange, ForwardedHead, Upstream, UpstreamRequest } from './upstream/upstream.ts';

/** What forwarding needs from the router; shared by every request. */
export interface ProxyDeps {
  /** The current route for a Host header (the table may be swapped between tries). */
  lookup(host: string | undefined): Route | undefined;
  balancer: Balancers;
  ejections: Ejections;
  /** The upstreams in order of preference (upstream.ts): a request goes through the first that carries it. */
  upstreams: readonly Upstream[];
  /** Open upgrade tunnels per endpoint (drains close them after a grace period). */
  tunnels: Tunnels;
  /** Retries per site within ratio × requests + a floor (retry-budget.ts). */
  retryBudget: RetryBudget;
  /** Per-try timeouts in a row per endpoint: a streak ejects. */
  timeoutStreaks: TimeoutStreaks;
  /** Replies waiting for their client to read (the send timeout). */
  sendStalls: SendStalls;
  /** Requests waiting for an endpoint under its cap (Route.endpointMaxInFlight). */
  slots: EndpointSlots;
  /** Requests no server took, waiting to be tried again (recover-holds.ts). */
  recoverHolds: RecoverHolds;
  /** The operator's proxies in front (config.trustedProxies): who may speak for the client. */
  trust: TrustedProxies;
  config: RouterConfig;
  log: Logger;
}

/** end: the request's end (request-ends.ts), whose last step becomes this forwarding's. */
export function proxyRequest(deps: ProxyDeps, req: FrontRequest, res: ClientReply, route: Route, end: RequestEnd): void {
  new Forwarding(deps, req, res, route, end).attempt(route);
}

/**
 * One request's forwarding, from the first try to the answer. A class rather than
 * closures: nothing is allocated per request but this object, its try's relay and the
 * request end's bound step (the hot path; see bench/RESULTS.md, issue 5, and
 * bench/router-profile.ts). The endpoints tried are a set only once a retry needs one.
 */
class Forwarding implements UpstreamRequest {
  readonly #deps: ProxyDeps;
  readonly req: FrontRequest;
  readonly res: ClientReply;
  readonly stalls: SendStalls;
  readonly #route: Route;
  readonly body: Readable | null;
  readonly #replayable: boolean;
  /** The upstream that carries this request (the raw one for a bodiless HTTP/1.x request, unless off). */
  readonly #upstream: Upstream;
  readonly head: ForwardedHead;
  readonly #access: AccessRecord | undefined;
  readonly #end: RequestEnd;
  /** The endpoints whose try failed (made at the first retry). */
  #tried: Set<string> | undefined;
  #tries = 0;
  /** Tries whose connection broke after the request was sent (retry-policy.ts MAX_BROKEN_TRIES), a server's one death counted once. */
  #brokenTries = 0;
  /** The endpoint whose connection broke on the last try (undefined: the last try did not break, or a hold came since). */
  #brokeOn: string | undefined;
  #relay: Exchange | undefined;
  #clientGone = false;
  /** Counted for least-conn or an endpoint cap until the try ends. */
  #inFlightKey: string | undefined;
  /** Leaves the wait for an endpoint under its cap (endpoint-slots.ts) or for a server to take it (recover-holds.ts). */
  #cancelWait: (() => void) | undefined;
  /** Its holds for a server to take it (made at the first). */
  #holds: HoldSchedule | undefined;
  // the try in progress (one at a time): its route, endpoint and per-try timeout
  #current: Route;
  #ep: Endpoint | undefined;
  /** The endpoint of the try in progress; cleared when it fails. */
  #tryKey: string | undefined;
  #perTry: number | undefined;
  perTryLenient: Route | undefined = undefined;
  /** A try failed: the next ones go on new connections (UpstreamRequest.fresh). */
  fresh = false;

  constructor(deps: ProxyDeps, req: FrontRequest, res: ClientReply, route: Route, end: RequestEnd) {
    this.#deps = deps;
    this.req = req;
    this.res = res;
    this.stalls = deps.sendStalls;
    this.#route = route;
    this.#current = route;
    const maxBody = route.limits?.maxBodyBytes;
    const stream = bodyStream(req);
    this.body = stream === null || !requestHasBody(stream) ? null : maxBody !== undefined && req.headers['content-length'] === undefined ? limitBody(stream, maxBody) : stream;
    this.#replayable = isReplayable(req.method, req.headers);
    this.#upstream = carrier(deps.upstreams, req, this.body !== null);
    this.head = this.#upstream.prepare(req, deps.trust);
    deps.retryBudget.recordRequest(route.site);
    this.#access = end.forwarded(); // written at the end (request-ends.ts)
    this.#end = end;
    end.step = this.#closed.bind(this);
    if (this.body !== null) continueIfAsked(req, res); // admitted: the client may send its body
  }

  attempt(current: Route): void {
    const deps = this.#deps;
    const capped = current.endpointMaxInFlight !== undefined;
    let skip = this.#tried;
    if (capped) {
      const full = deps.slots.full(current);
      if (full !== undefined) {
        for (const key of this.#tried ?? []) full.add(key);
        if (current.endpoints.every((ep) => full.has(endpointKey(ep)))) return this.#waitForSlot(current, full);
        skip = full;
      }
    }
    const picked = deps.balancer.pick(current, skip, this.req);
    if (picked === undefined) {
      const none = new NoEndpointError(current.site);
      if (current.endpoints.length === 0 && this.#recover(current, none)) return;
      return this.#fail(none, current.site);
    }
    const ep = picked.ep;
    const key = endpointKey(ep);
    this.#tries++;
    this.#current = current;
    this.#ep = ep;
    this.#tryKey = key;
    const perTry = (this.#perTry = perTryTimeoutMs(current, this.#replayable, this.#tries < maxTries(current, 'timeout'), deps.config));
    this.perTryLenient = current.retry?.perTryTimeoutMs === undefined ? current : undefined;
    this.#access?.dispatched(key);
    const extra = picked.setCookie === undefined ? undefined : ['set-cookie', picked.setCookie];
    if (capped || current.balance?.policy === 'least-conn') {
      deps.balancer.inFlight.add(key);
      this.#inFlightKey = key;
    }
    this.#relay = this.#upstream.send(ep, key, this, perTry, extra);
  }

  #settle(): void {
    const key = this.#inFlightKey;
    if (key === undefined) return;
    this.#inFlightKey = undefined;
    this.#deps.balancer.inFlight.done(key);
    this.#deps.slots.freed(key); // a request waiting for this endpoint goes on
  }

  /**
   * Every endpoint not tried yet has its most requests in flight: wait for one to end one
   * (endpoint-slots.ts), then try again on the route then.
   */
  #waitForSlot(current: Route, full: Set<string>): void {
    const deps = this.#deps;
    const site = current.site;
    const keys = [...full].filter((k) => !this.#tried?.has(k));
    if (keys.length === 0) return this.#fail(new NoEndpointError(site), site);
    const cancel = deps.slots.wait(site, keys, () => {
      this.#cancelWait = undefined;
      if (this.#clientGone) return;
      const now = deps.lookup(this.req.headers.host);
      if (now === undefined) return this.#fail(new NoEndpointError(site), site);
      this.attempt(now);
    }, () => {
      this.#cancelWait = undefined;
      if (this.#clientGone) return;
      if (deps.config.metrics) recordSiteBusy(site, { refused: 'timeout' });
      this.#fail(new SiteBusyError(site, `each of its servers has ${current.endpointMaxInFlight} requests in flight from this router and none ended one within ${deps.config.wakeTimeoutMs} ms`), site);
    });
    if (cancel === false) {
      if (deps.config.metrics) recordSiteBusy(site, { refused: 'queue-full' });
      return this.#fail(new SiteBusyError(site, `${deps.slots.waiting(site)} requests already wait for its servers`), site);
    }
    this.#cancelWait = cancel;
  }

  /** The client's side is over (the request's end, step 1): answered in full, or the client left. */
  #closed(complete: boolean): void {
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    this.#settle();
    if (this.#tryKey !== undefined && complete) {
      this.#deps.timeoutStreaks.answered(this.#tryKey);
      this.#deps.ejections.answered(this.#tryKey);
    }
    if (complete) return;
    this.stalls.drained(this.res);
    this.#clientGone = true;
    this.#relay?.abort(new Error('client closed the connection'));
  }

  /** The try in progress failed: eject, retry on another endpoint when allowed, else answer. */
  tryFailed(err: Error, started: boolean): void {
    const deps = this.#deps;
    const req = this.req;
    const current = this.#current;
    const key = this.#tryKey!;
    const perTry = this.#perTry;
    this.#settle();
    this.#tryKey = undefined;
    this.fresh = true;
    if (this.#clientGone) return;
    const kind = failureKind(err);
    // a slow answer ejects only when the endpoint keeps timing out (timeout-streaks.ts)
    if (ejects(kind) || (kind === 'timeout' && perTry !== undefined && deps.timeoutStreaks.timedOut(key))) ejectEndpoint(deps, key, this.#ep!.vs, current.site, err);
    if (ejects(kind)) this.#upstream.reset(key); // its idle connections died with this one
    const next = started ? undefined : deps.lookup(req.headers.host);
    const body = this.body;
    const bodyUnread = body !== null && !req.readableDidRead && !req.destroyed;
    // A break right after a break on the same endpoint is the same death, not this request's
    // doing: a killed server's next idle connection, or a new one its closing listener took.
    const broke = brokeAfterSending(err, bodyUnread);
    if (broke && this.#brokeOn !== key) this.#brokenTries++;
    this.#brokeOn = broke ? key : undefined;
    if (next && mayRetry(kind, { replayable: this.#replayable, bodyless: body === null, bodyUnread, perTryTimeout: perTry !== undefined, brokenTries: this.#brokenTries })) {
      const site = this.#route.site;
      let exhausted = false;
      if (this.#tries < maxTries(next, kind)) {
        if (deps.retryBudget.canRetry(site, next.retry)) {
          deps.retryBudget.recordRetry(site);
          const tried = (this.#tried ??= new Set());
          tried.add(key);
          if (ejects(kind)) avoidHost(next, this.#ep!.address, tried);
          return this.attempt(next);
        }
        exhausted = true;
      }
      // No server took it, or the one that had it is gone (its connection broke, or the router cut
      // it: its server left the route): wait for one. A refused connection costs a server
      // nothing, so that waits outside the retry budget; a broken one only while it has room.
      if ((kind === 'unsent' || (kind === 'broken' && !exhausted)) && this.#recover(next, err)) return;
      if (exhausted) {
        if (this.#access) this.#access.budgetExhausted = true;
        if (deps.config.metrics) recordRetryBudgetExhausted(site);
      }
    }
    this.#fail(err, current.site);
  }

  /**
   * No server of the site took this request (its last try was refused, or the route has no
   * endpoint): hold it for a pause (HoldSchedule), then try the site's route of then afresh,
   * every endpoint again; until startHoldMs from its first hold. False (answer now): the
   * route may not hold (mayHold), the time is up, or the site has wakeQueue held already.
   */
  #recover(route: Route, err: Error): boolean {
    const deps = this.#deps;
    if (!mayHold(route, deps.config.startHoldMs)) return false;
    const heldAt = performance.now();
    const pause = (this.#holds ??= new HoldSchedule()).next(deps.config.startHoldMs, heldAt);
    if (pause === undefined) return false;
    const site = route.site;
    const drop = deps.recoverHolds.hold(site, pause, {
      go: () => {
        this.#cancelWait = undefined;
        this.#heldFor(heldAt);
        const now = deps.lookup(this.req.headers.host);
        if (now === undefined) return this.#fail(new NoEndpointError(site), site);
        this.#tried = undefined;
        this.#tries = 0;
        this.#brokeOn = undefined; // its server may have been restarted: a break there is a new one
        this.attempt(now);
      },
      fail: (why) => {
        this.#cancelWait = undefined;
        this.#heldFor(heldAt);
        if (why === 'gone') this.res.destroy();
        else this.#fail(err, site);
      },
    });
    if (drop === false) return false;
    this.#cancelWait = drop;
    return true;
  }

  /** The access record counts the time held (every hold of the request, added). */
  #heldFor(since: number): void {
    const access = this.#access;
    if (access) access.heldMs = (access.heldMs ?? 0) + (performance.now() - since);
  }

  #fail(err: unknown, site: string): void {
    const req = this.req;
    sendError(this.res, toRouterError(err, site), { log: this.#deps.log, method: req.method, url: req.url, host: req.headers.host, route: this.#current, end: this.#end });
  }
}

/**
 * A connection to an endpoint failed: the retry goes to an endpoint at another address when
 * there is one not tried yet. Endpoints at one address are one host (an engine's forwarder
 * in a farm of many hosts): a host that died takes all of them, and a retry that landed on
 * its next endpoint broke too and was answered 502 (MAX_BROKEN_TRIES).
 */
function avoidHost(route: Route, address: string, tried: Set<string>): void {
  if (!route.endpoints.some((e) => e.address !== address && !tried.has(endpointKey(e)))) return;
  for (const e of route.endpoints) if (e.address === address) tried.add(endpointKey(e));
}

/** The first upstream that carries the request (the last, undici, carries all). */
function carrier(upstreams: readonly Upstream[], req: FrontRequest, body: boolean): Upstream {
  for (const u of upstreams) if (u.carries(req, body)) return u;
  return upstreams[upstreams.length - 1]!;
}

/** HTTP/2 needs no Content-Length: a body follows unless the HEADERS frame ended the stream. */
function requestHasBody(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 2) return hasBody(req.headers);
  const stream = (req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream;
  return hasBody(req.headers) || stream?.endAfterHeaders === false;
}

/** Passive health: skip this endpoint for a while, logging when it is newly ejected. */
export function ejectEndpoint(deps: ProxyDeps, key: string, vs: string, site: string, err: unknown): void {
  if (!deps.ejections.eject(key)) return;
  const code = (err as { code?: unknown } | null)?.code;
  deps.log.warn({ event: 'endpoint.ejected', endpoint: key, vs, site, code, ejectMs: deps.config.ejectMs }, 'endpoint ejected');
}
