// Where the request chain ends: each request of a known site gets one RequestEnd when its
// route is found, and that is the one 'close' listener the chain puts on its reply ('close'
// follows 'finish' on node:http, HTTP/2 and the raw front alike, and comes once). When the
// reply closes, in this order:
//   1. the chain's own last step, whichever holds the request then (`step`): a held
//      request leaves the wake queue, a forwarded one lets go of its try;
//   2. the access record (access-log.ts), of every request: forwarded, answered by the
//      router itself (a refusal, a redirect, …: `answered`), held then forwarded, or left
//      by its client while held; the JSON access line, the per-site text line and (for a
//      forwarded one) the Prometheus endpoint series, each when the router has it on;
//   3. the autoscaler's load (site-load.ts): a request counted from its admission leaves
//      it, exactly once;
//   4. the listeners of Router.onFinished (the site stats, site-stats.ts): site, status,
//      duration and whether it was cut off.
// A request for no known site (`unrouted`) tells only the JSON access line, when that is on.
// An upgrade (WebSocket) counts as load from its admission until its socket closes
// (`tunnel`); the site stats and the access log do not hear upgrades.
// With every access sink off, a request allocates nothing here but its RequestEnd.

import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import { AccessRecord, type AnswerCode } from './access-log.ts';
import { replyComplete, type ClientReply, type ClientRequest } from './front/client-exchange.ts';
import type { SiteAccessFiles } from './site-access-files.ts';
import type { SiteLoad } from './site-load.ts';

/** aborted: the reply closed before it was written in full. */
export type FinishListener = (site: string, status: number, ms: number, aborted: boolean) => void;

/** What a router offers to hear its requests end (Router.onFinished). */
export interface FinishSource {
  /** Hear every request of a known site end; returns the function that stops it. */
  onFinished(listener: FinishListener): () => void;
}

/** Where a request's access record goes (RouterOptions); each off when absent. */
export interface AccessSinks {
  accessLog: Logger | null;
  metrics: boolean;
  siteFiles: SiteAccessFiles | undefined;
}

export class RequestEnds implements FinishSource {
  #listeners: readonly FinishListener[] = [];
  readonly load: SiteLoad;
  readonly access: AccessSinks;
  readonly #accessOn: boolean;
  readonly #answersOn: boolean;

  constructor(load: SiteLoad, access: AccessSinks) {
    this.load = load;
    this.access = access;
    this.#accessOn = access.accessLog !== null || access.metrics || access.siteFiles !== undefined;
    // the series count forwarded requests only: a request the router answers is recorded for the lines
    this.#answersOn = access.accessLog !== null || access.siteFiles !== undefined;
  }

  onFinished(listener: FinishListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** A request of site begins (its route is known): its end is told once, when res closes. */
  begin(site: string, req: ClientRequest, res: ClientReply): RequestEnd {
    const end = new RequestEnd(this, site, req, res);
    res.once('close', end.done);
    return end;
  }

  /** A request for no known site: its end writes the JSON access line only; undefined when that log is off. */
  unrouted(req: ClientRequest, res: ClientReply): RequestEnd | undefined {
    if (this.access.accessLog === null) return undefined;
    const end = new RequestEnd(this, undefined, req, res);
    res.once('close', end.done);
    return end;
  }

  /** An admitted upgrade of site: load until its socket closes. */
  tunnel(site: string, socket: Duplex): void {
    socket.once('close', this.load.begin(site));
  }

  /** The listeners as they are now (a request's end tells those). */
  get listeners(): readonly FinishListener[] {
    return this.#listeners;
  }

  get accessOn(): boolean {
    return this.#accessOn;
  }

  /** A sink that writes the router's own answers (a line) is on. */
  get answersOn(): boolean {
    return this.#answersOn;
  }
}

/** One request's end (see the header for what it tells, in order). */
export class RequestEnd {
  readonly #ends: RequestEnds;
  /** undefined: no known site (unrouted). */
  readonly site: string | undefined;
  readonly #req: ClientRequest;
  readonly #res: ClientReply;
  readonly #started = performance.now();
  #load = false;
  #access: AccessRecord | undefined;
  /** When the request was held for an endpoint (0: never). */
  #heldAt = 0;
  /** The chain's own last step, for whichever part holds the request now (one at a time); complete: replyComplete. */
  step: ((complete: boolean) => void) | undefined;

  constructor(ends: RequestEnds, site: string | undefined, req: ClientRequest, res: ClientReply) {
    this.#ends = ends;
    this.site = site;
    this.#req = req;
    this.#res = res;
  }

  /** Admitted: counted as the site's load until the end. */
  countLoad(): void {
    if (this.#load || this.site === undefined) return;
    this.#load = true;
    this.#ends.load.enter(this.site);
  }

  /** Held for an endpoint (wake-queue.ts: an idle site's wake, a starting site's first server): the record says for how long. */
  held(): void {
    this.#heldAt = performance.now();
  }

  /** Forwarded: its access record (undefined when every access sink is off), written at the end. */
  forwarded(): AccessRecord | undefined {
    if (!this.#ends.accessOn) return undefined;
    const access = this.#record();
    access.forwarded = true;
    return access;
  }

  /** The router answers it itself (before writing the answer): the code it answers with (errors.ts, or ROUTER_ANSWER_CODES). */
  answered(code: AnswerCode): void {
    if (!this.#ends.answersOn) return;
    this.#record().code = code;
  }

  /** Its access record (made once), with the time it was held once it leaves the hold. */
  #record(): AccessRecord {
    const access = (this.#access ??= new AccessRecord(this.#res));
    if (this.#heldAt !== 0) access.heldMs ??= performance.now() - this.#heldAt;
    return access;
  }

  readonly done = (): void => {
    const ms = performance.now() - this.#started;
    const res = this.#res;
    const complete = replyComplete(res);
    const step = this.step;
    this.step = undefined;
    step?.(complete);
    const ends = this.#ends;
    const site = this.site;
    // a request no part answered (its client left while held) still gets its record
    const access = this.#access !== undefined || ends.answersOn ? this.#record() : undefined;
    if (access) {
      const { accessLog, metrics, siteFiles } = ends.access;
      if (accessLog) access.write(accessLog, site, this.#req, res, complete);
      if (site === undefined) return; // unrouted: no site's file, series, load or stats
      if (metrics && access.forwarded) access.record(site, res, complete);
      siteFiles?.write(site, access.line(this.#req, res, complete));
    }
    if (site === undefined) return;
    if (this.#load) ends.load.leave(site);
    for (const l of ends.listeners) l(site, res.statusCode, ms, !complete);
  };
}
