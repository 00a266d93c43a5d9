// Bounds on a transfer's stalls and slowness, never on its size: a release of gigabytes
// over a slow link must arrive, and one that stops must be cut quickly. A transfer is cut
//   - when nothing has moved within `firstByteMs` of its start (connecting, the answer's
//     headers or the first bytes taken): "no progress within 10 s";
//   - when no byte has moved for `idleMs` since the last one: "stalled for 30 s after
//     1.2 GiB". After the last byte of a body sent (`ended()`), the answer is awaited for
//     idleMs plus the bytes that may still sit in the sockets' buffers (≤ 16 MiB, no more than
//     were sent) at the floor rate — 30 s to 4 min 46 s by default: "no answer within …";
//   - once it has moved bytes for `windowMs` (the grace), when the average rate over the
//     last `windowMs` falls below `minBytesPerSec`: "too slow: 20.0 KiB/s over the last
//     30 s (floor 64.0 KiB/s) after 1.2 GiB". Judged every windowMs / 10, until the body ends.
// Defaults (TRANSFER_LIMITS): 10 s, 30 s, 64 KiB/s over 30 s. The cut aborts `signal`, whose
// reason is a TransferCutError naming the rule; `explain(err)` turns the abort the I/O
// rejected with into it. Timers are unref'd; `done()` clears them (safe twice).

import { bytesText } from './byte-text.ts';

export interface TransferLimits {
  /** From the start to the first sign of progress (the answer's headers, or the first bytes). */
  firstByteMs: number;
  /** Longest gap between two chunks once bytes flow. */
  idleMs: number;
  /** Lowest average rate over the last windowMs, judged once bytes have flowed for windowMs. */
  minBytesPerSec: number;
  windowMs: number;
}

/** The defaults: a release of any size arrives at 64 KiB/s or more, a stall is cut within 30 s. */
export const TRANSFER_LIMITS: Readonly<TransferLimits> = Object.freeze({ firstByteMs: 10_000, idleMs: 30_000, minBytesPerSec: 64 * 1024, windowMs: 30_000 });

export type TransferRule = 'first-byte' | 'stalled' | 'too-slow';

/** Why a guard cut its transfer; `rule` says which bound, the message says it with the numbers. */
export class TransferCutError extends Error {
  readonly rule: TransferRule;

  constructor(rule: TransferRule, message: string) {
    super(message);
    this.name = 'TransferCutError';
    this.rule = rule;
  }
}

export interface TransferGuard {
  /** Pass to the request and the stream pipeline: aborted when a rule cuts the transfer. */
  readonly signal: AbortSignal;
  /** Bytes moved so far. */
  readonly bytes: number;
  /** n bytes moved (0: a sign of life, such as the answer's headers). */
  moved(n: number): void;
  /** `source`'s chunks, each counted as moved as it is taken; its end stops the rate rule. */
  through<T extends Uint8Array>(source: AsyncIterable<T>): AsyncGenerator<T>;
  /** The body is whole: the rate rule stops; the idle rule still bounds the wait for an answer. */
  ended(): void;
  /** Clear the timers (the transfer finished or failed). Safe twice. */
  done(): void;
  /** The guard's TransferCutError when it cut the transfer (err as its cause), else err. */
  explain(err: unknown): unknown;
}

/** Start guarding a transfer now (`limits` over TRANSFER_LIMITS). */
export function guardTransfer(limits: Partial<TransferLimits> = {}): TransferGuard {
  const l = checked({ ...TRANSFER_LIMITS, ...limits });
  const ctl = new AbortController();
  let bytes = 0;
  let lastMovedAt: number | undefined; // undefined until the first sign of progress
  let finished = false; // the body is whole
  let stopped = false; // done(): no timer again
  // (time, bytes) every tick since the first progress; samples[0] is the newest at least windowMs old
  const samples: { at: number; bytes: number }[] = [];

  const cut = (rule: TransferRule, message: string): void => {
    if (ctl.signal.aborted) return;
    done();
    ctl.abort(new TransferCutError(rule, message));
  };

  // one timer for the first byte and the idle gaps: re-armed for what is left, not per chunk
  const startedAt = Date.now();
  const idleCheck = (): void => {
    const now = Date.now();
    if (lastMovedAt === undefined) {
      const left = startedAt + l.firstByteMs - now;
      if (left <= 0) return cut('first-byte', `no progress within ${duration(l.firstByteMs)}`);
      idle = setTimeout(idleCheck, left).unref();
      return;
    }
    const wait = finished ? answerWait(l, bytes) : l.idleMs;
    const left = lastMovedAt + wait - now;
    if (left > 0) {
      idle = setTimeout(idleCheck, left).unref();
      return;
    }
    if (finished) return cut('stalled', `no answer within ${duration(wait)} of the last byte (${bytesText(bytes)} sent)`);
    cut('stalled', `stalled for ${duration(l.idleMs)} after ${bytesText(bytes)}`);
  };
  let idle = setTimeout(idleCheck, l.firstByteMs).unref();

  let rate: NodeJS.Timeout | undefined;
  const rateCheck = (): void => {
    const now = Date.now();
    samples.push({ at: now, bytes });
    while (samples.length > 1 && samples[1]!.at <= now - l.windowMs) samples.shift();
    const from = samples[0]!;
    if (now - from.at < l.windowMs) return; // the grace: not a whole window yet
    const perSec = ((bytes - from.bytes) * 1000) / (now - from.at);
    if (perSec < l.minBytesPerSec) {
      cut('too-slow', `too slow: ${bytesText(Math.round(perSec))}/s over the last ${duration(l.windowMs)} (floor ${bytesText(l.minBytesPerSec)}/s) after ${bytesText(bytes)}`);
    }
  };

  function moved(n: number): void {
    const now = Date.now();
    if (lastMovedAt === undefined && !stopped) {
      samples.push({ at: now, bytes });
      rate = setInterval(rateCheck, l.windowMs / 10).unref();
      clearTimeout(idle);
      idle = setTimeout(idleCheck, l.idleMs).unref();
    }
    bytes += n;
    lastMovedAt = now;
  }

  function ended(): void {
    clearInterval(rate);
    finished = true;
  }

  function done(): void {
    ended();
    clearTimeout(idle);
    stopped = true;
  }

  return {
    signal: ctl.signal,
    get bytes() {
      return bytes;
    },
    moved,
    async *through(source) {
      for await (const chunk of source) {
        moved(chunk.byteLength);
        yield chunk;
      }
      ended();
    },
    ended,
    done,
    explain(err) {
      const reason: unknown = ctl.signal.reason;
      if (!(reason instanceof TransferCutError)) return err;
      if (err !== reason && reason.cause === undefined) reason.cause = err;
      return reason;
    },
  };
}

/**
 * How long the answer may take after the last byte was handed to the socket: idleMs, plus the
 * bytes still in the sockets' buffers at the floor rate. A sender cannot see them leave; there
 * are at most IN_FLIGHT_MAX_BYTES (kernel send and receive buffers, stream buffers), and no more
 * than were sent.
 */
function answerWait(l: TransferLimits, bytes: number): number {
  return l.idleMs + (Math.min(bytes, IN_FLIGHT_MAX_BYTES) * 1000) / l.minBytesPerSec;
}

const IN_FLIGHT_MAX_BYTES = 16 * 1024 ** 2;

function checked(l: TransferLimits): TransferLimits {
  for (const [name, v] of Object.entries(l)) {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new TypeError(`transfer limit ${name} must be a positive number, got ${String(v)}`);
  }
  return l;
}

/** 500 ms, 1.5 s, 30 s. */
function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
