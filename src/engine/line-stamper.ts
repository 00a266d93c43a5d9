// A Transform that starts every line of a VS's output with the time it arrived
// (`<ISO time> `, lib/stamped-line.ts), so `corral logs` can merge a site's VS output and
// its router access lines in time order. Works on bytes: '\n' never occurs inside a
// multi-byte UTF-8 character, so a character cut across chunks stays whole.

import { Transform } from 'node:stream';
import { stampLine } from '../lib/stamped-line.ts';

export function createLineStamper(now: () => Date = () => new Date()): Transform {
  let atLineStart = true;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const parts: Buffer[] = [];
      let from = 0;
      while (from < chunk.length) {
        if (atLineStart) parts.push(Buffer.from(stampLine('', now())));
        const nl = chunk.indexOf(10, from);
        const end = nl === -1 ? chunk.length : nl + 1;
        parts.push(chunk.subarray(from, end));
        atLineStart = nl !== -1;
        from = end;
      }
      cb(null, Buffer.concat(parts));
    },
  });
}
