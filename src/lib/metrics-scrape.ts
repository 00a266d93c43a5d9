// A /metrics scrape written in pieces. A registry that can make its Prometheus text piece
// by piece says so with the `streamText` method (the router's series: ≈ 30 MB of text at
// 10,000 sites); any other prom-client registry gives its text whole. A piece is made once
// the socket has taken the ones before (a few pieces are in memory at a time, not the whole
// text: made as one string it grew `corral up`'s heap by 170–370 MB per scrape at 10,000
// sites). The registries that give their text whole (the certificates' expiry, read from
// the store) are all read before the first piece, so their failure is still an error
// answer, not a 200 cut short.

import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Registry } from 'prom-client';

/** The method of a registry that makes its text in pieces (whose join is its metrics()). */
export const streamText = Symbol('corral.metrics.streamText');

interface StreamedRegistry {
  [streamText](): AsyncIterable<string>;
}

/** The registries' texts one after the other, a newline between two (as their metrics() joined with '\n'). */
export async function* scrapeChunks(registries: readonly Registry[]): AsyncGenerator<string> {
  const streamOf = (r: Registry) => (r as Partial<StreamedRegistry>)[streamText];
  const whole = await Promise.all(registries.map((r) => (typeof streamOf(r) === 'function' ? undefined : r.metrics())));
  let first = true;
  for (const [i, registry] of registries.entries()) {
    if (!first) yield '\n';
    first = false;
    const text = whole[i];
    if (text !== undefined) yield text;
    else yield* streamOf(registry)!.call(registry);
  }
}

/**
 * A scrape's body once its first piece is made (a failure before it rejects, before any
 * byte is sent), then the rest as the reader takes it; destroy() stops the making (HEAD).
 */
export async function openScrape(registries: readonly Registry[]): Promise<Readable> {
  const chunks = scrapeChunks(registries);
  const first = await chunks.next();
  async function* all(): AsyncGenerator<string> {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  return Readable.from(all(), { objectMode: false });
}

/**
 * Answer a scrape on `res` (node:http): 200 once the first piece is made (a failure before
 * it: 500, logged by `onError`), then the rest as the client takes it. A failure or a
 * client gone after that cuts the answer short. HEAD gets the headers alone.
 */
export async function sendScrape(res: ServerResponse, registries: readonly Registry[], opts: { head?: boolean; onError(err: unknown): void }): Promise<void> {
  let body: Readable;
  try {
    body = await openScrape(registries);
  } catch (err) {
    opts.onError(err);
    res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
    return;
  }
  res.writeHead(200, { 'content-type': registries[0]?.contentType ?? 'text/plain' });
  if (opts.head) {
    body.destroy();
    res.end();
    return;
  }
  await pipeline(body, res).catch((err: unknown) => {
    if (!isClientGone(err)) opts.onError(err);
  });
}

const isClientGone = (err: unknown): boolean => (err as { code?: string } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
