// What the router refuses beyond node's strict parser (llhttp, never in lenient mode):
// node keeps the first of two Host headers and passes both on in rawHeaders, so a
// backend could route by the other one. Everything else in smuggling-corpus.ts is
// already refused by the parser; request-hygiene.test.ts proves both.

import type { ClientRequest } from './client-exchange.ts';
import { BadRequestError } from '../errors.ts';

export function hygieneError(req: ClientRequest): BadRequestError | undefined {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return new BadRequestError('more than one Host header');
  return undefined;
}
