// The text stream of a followed log: `<vs> | <line>` per line, and a bound on what a slow
// client can make us buffer (lines beyond it are dropped, and the drop is said once).

import { PassThrough } from 'node:stream';

const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface LogStream {
  readonly stream: PassThrough;
  write(vs: string, line: string): void;
  end(): void;
}

export function prefixLine(vs: string, line: string): string {
  return `${vs} | ${line}\n`;
}

export function createLogStream(maxBuffered = MAX_BUFFERED_BYTES): LogStream {
  const stream = new PassThrough();
  let dropping = false;
  return {
    stream,
    write(vs, line) {
      if (stream.writableEnded) return;
      if (stream.writableLength > maxBuffered) {
        if (!dropping) stream.write(prefixLine('corral', 'client too slow: dropping log lines'));
        dropping = true;
        return;
      }
      dropping = false;
      stream.write(prefixLine(vs, line));
    },
    end() {
      if (!stream.writableEnded) stream.end();
    },
  };
}
