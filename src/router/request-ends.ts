// Where the request chain ends: each request of a known site gets one RequestEnd when its
// route is found, and that is the one 'close' listener the chain puts on its reply ('close'
// follows 'finish' on node:http, HTTP/2 and the raw front alike, and comes once). When the
// reply closes, in this order:
//   1. the chain's own last step, whichever holds the request then (`step`): a held
//      request leaves the wake queue, a forwarded one lets go of its try;
//   2. the access record of a forwarded request (access-log.ts): the JSON access line, the
//      per-site text line and the Prometheus series, each when the router has it on;
//   3. the autoscaler's load (site-load.ts): a request counted from its admission leaves
//      it, exactly once;
//   4. the listeners of Router.onFinished (the site stats, site-stats.ts): site, status,
//      duration and whether it was cut off.
// An upgrade (WebSocket) counts as load from its admission until its socket closes
// (`tunnel`); the site stats and the access log do not hear upgrades.

import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import { AccessRecord } from './access-log.ts';
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

/** Where a forwarded request's access record goes (RouterOptions); each off when absent. */
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

  constructor(load: SiteLoad, access: AccessSinks) {
    this.load = load;
    this.access = access;
    this.#accessOn = access.accessLog !== null || access.metrics || access.siteFiles !== undefined;
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

  /** An admitted upgrade of site: load until its socket closes. */
  tunnel(site: string, socket: Duplex): void {
    this.load.enter(site);
    socket.once('close', () => this.load.leave(site));
  }

  /** The listeners as they are now (a request's end tells those). */
  get listeners(): readonly FinishListener[] {
    return this.#listeners;
  }

  get accessOn(): boolean {
    return this.#accessOn;
  }
}

/** One request's end (see the header for what it tells, in order). */
export class RequestEnd {
  readonly #ends: RequestEnds;
  readonly site: string;
  readonly #req: ClientRequest;
  readonly #res: ClientReply;
  readonly #started = performance.now();
  #load = false;
  #access: AccessRecord | undefined;
  /** The chain's own last step, for whichever part holds the request now (one at a time); complete: replyComplete. */
  step: ((complete: boolean) => void) | undefined;

  constructor(ends: RequestEnds, site: string, req: ClientRequest, res: ClientReply) {
    this.#ends = ends;
    this.site = site;
    this.#req = req;
    this.#res = res;
  }

  /** Admitted: counted as the site's load until the end. */
  countLoad(): void {
    if (this.#load) return;
    this.#load = true;
    this.#ends.load.enter(this.site);
  }

  /** Forwarded: its access record (undefined when every access sink is off), written at the end. */
  forwarded(): AccessRecord | undefined {
    if (this.#ends.accessOn) this.#access ??= new AccessRecord(this.#res);
    return this.#access;
  }

  readonly done = (): void => {
    const ms = performance.now() - this.#started;
    const res = this.#res;
    const complete = replyComplete(res);
    const step = this.step;
    this.step = undefined;
    step?.(complete);
    const ends = this.#ends;
    const access = this.#access;
    if (access) {
      const { accessLog, metrics, siteFiles } = ends.access;
      if (accessLog) access.write(accessLog, this.site, this.#req, res, complete);
      if (metrics) access.record(this.site, res, complete);
      siteFiles?.write(this.site, access.line(this.#req, res, complete));
    }
    if (this.#load) ends.load.leave(this.site);
    for (const l of ends.listeners) l(this.site, res.statusCode, ms, !complete);
  };
}
