// Where the request chain ends, for what measures requests beside it (the site stats,
// site-stats.ts): each request of a known site is told once, when its reply closes
// ('close' follows 'finish' on node:http, HTTP/2 and the raw front alike), with its site,
// status, duration and whether it was cut off. While nobody listens, nothing is
// allocated per request.

import type { ClientReply } from './front/client-exchange.ts';

/** aborted: the reply closed before it was written in full. */
export type FinishListener = (site: string, status: number, ms: number, aborted: boolean) => void;

/** What a router offers to hear its requests end (Router.onFinished). */
export interface FinishSource {
  /** Hear every request of a known site end; returns the function that stops it. */
  onFinished(listener: FinishListener): () => void;
}

export class RequestEnds implements FinishSource {
  #listeners: readonly FinishListener[] = [];

  onFinished(listener: FinishListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** A request of site begins (its route is known): its end is told when res closes. */
  begin(site: string, res: ClientReply): void {
    if (this.#listeners.length === 0) return;
    res.once('close', new Ending(this.#listeners, site, res).done);
  }
}

class Ending {
  readonly #listeners: readonly FinishListener[];
  readonly #site: string;
  readonly #res: ClientReply;
  readonly #started = performance.now();

  constructor(listeners: readonly FinishListener[], site: string, res: ClientReply) {
    this.#listeners = listeners;
    this.#site = site;
    this.#res = res;
  }

  readonly done = (): void => {
    const ms = performance.now() - this.#started;
    const res = this.#res;
    for (const l of this.#listeners) l(this.#site, res.statusCode, ms, !res.writableFinished);
  };
}
