// One HTTP health check of a VS: GET path on address:port with a Host header; any
// 2xx or 3xx answer within the timeout passes. It never throws: anything else fails.
//
// The check is an HTTP/1.1 client of its own, over one kept connection per VS: an engine
// checks each of its VSs every few seconds, and Node's http client spent ≈ 240 µs of CPU
// on a probe (its request, response and parser objects) where this one spends ≈ 70 µs —
// at 10,000 pooled sites (100 pool VSs) the largest share of the engine's idle CPU. The
// verdict is the final status line (interim 1xx heads skipped); the rest of the answer
// (headers, then a Content-Length, chunked or empty body) is read to its end so the
// connection can carry the next probe. A body that only the close ends, `Connection:
// close`, HTTP/1.0 without keep-alive, or a body still coming at the deadline costs the
// connection, not the verdict; a malformed or oversized head fails the check.

import net from 'node:net';
import { checkedPath } from '../model/index.ts';

/** Every health probe carries this header (and user agent), so an app can leave probes out of its own access log. */
export const HEALTH_HEADER = 'x-corral-health';
export const HEALTH_USER_AGENT = 'corral-health/1';

export interface HealthTarget {
  address: string;
  port: number;
  path: string;
  host: string;
}

export type HealthCheck = (target: HealthTarget, timeoutMs: number) => Promise<boolean>;

/** A response head (status line and headers) longer than this fails the check. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A body longer than this is not read to its end: the connection is dropped instead. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A kept connection unused this long is closed (its VS was stopped or is no longer checked). */
const IDLE_CLOSE_MS = 60_000;
/** What Node's http client refuses to send in a path or a header value; here anything but visible ASCII. */
const SENDABLE = /^[\x21-\x7e]+$/;

/** Idle kept connections, one per VS address:port, with what forgets one the VS closes while idle. */
const idle = new Map<string, { socket: net.Socket; forget: () => void }>();

export const httpHealthCheck: HealthCheck = async (target, timeoutMs) => {
  if (!SENDABLE.test(target.path) || !target.path.startsWith('/') || !SENDABLE.test(target.host)) return false;
  const key = `${target.address}:${target.port}`;
  const kept = takeIdle(key);
  if (kept) {
    const r = await probe(kept, target, timeoutMs, key);
    if (r !== 'retry') return r;
  }
  // a kept connection the VS had closed meanwhile (its idle timeout, a restart on the same port): not the VS's failure
  return (await probe(undefined, target, timeoutMs, key)) === true;
};

function takeIdle(key: string): net.Socket | undefined {
  const entry = idle.get(key);
  if (!entry) return undefined;
  idle.delete(key);
  const { socket, forget } = entry;
  socket.off('error', forget).off('close', forget).off('end', forget).off('timeout', forget);
  socket.setTimeout(0);
  socket.ref();
  return socket.destroyed ? undefined : socket;
}

function putIdle(key: string, socket: net.Socket): void {
  if (idle.has(key)) return void socket.destroy();
  const forget = () => {
    if (idle.get(key)?.socket === socket) idle.delete(key);
    socket.destroy();
  };
  socket.on('error', forget).on('close', forget).on('end', forget).on('timeout', forget);
  socket.setTimeout(IDLE_CLOSE_MS);
  socket.unref();
  idle.set(key, { socket, forget });
}

function requestBytes(target: HealthTarget): Buffer {
  return Buffer.from(`GET ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\nuser-agent: ${HEALTH_USER_AGENT}\r\n${HEALTH_HEADER}: 1\r\naccept: */*\r\n\r\n`, 'latin1');
}

/**
 * One request on `kept` (reused) or a new connection. 'retry' when a reused connection
 * turned out closed before any byte of the answer came back.
 */
function probe(kept: net.Socket | undefined, target: HealthTarget, timeoutMs: number, key: string): Promise<boolean | 'retry'> {
  return new Promise((resolve) => {
    let socket: net.Socket;
    try {
      socket = kept ?? net.connect({ host: target.address, port: target.port, noDelay: true });
    } catch {
      resolve(false); // a port net refuses outright (0, out of range): a failed check, not a throw
      return;
    }
    const reader = new AnswerReader();
    let decided = false;
    let gotBytes = false;
    const decide = (r: boolean | 'retry') => {
      if (decided) return;
      decided = true;
      resolve(r);
    };
    const detach = () => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onGone).off('close', onGone).off('end', onGone);
    };
    /** The status line's verdict (false before one came). */
    const passed = () => reader.status !== undefined && reader.status >= 200 && reader.status < 400;
    const onData = (chunk: Buffer) => {
      gotBytes = true;
      const state = reader.push(chunk);
      if (state === 'more') return;
      detach();
      if (state === 'complete' && reader.reusable) putIdle(key, socket);
      else socket.destroy(); // malformed, or a body only the close ends: the status still counts
      decide(passed());
    };
    const onGone = () => {
      detach();
      socket.destroy();
      decide(kept && !gotBytes ? 'retry' : passed());
    };
    // the answer is read to its end before the next probe may reuse the connection; a
    // body still coming at the deadline costs the connection, not the status's verdict
    const timer = setTimeout(() => {
      detach();
      socket.destroy();
      decide(passed());
    }, timeoutMs);
    socket.on('data', onData).on('error', onGone).on('close', onGone).on('end', onGone);
    socket.write(requestBytes(target));
  });
}

/**
 * An HTTP/1.1 answer read incrementally: interim (1xx) heads skipped, the final head's
 * status and framing, then its body counted to its end. `push` says 'more', 'complete'
 * or 'bad' (malformed, oversized, or a body only the close ends).
 */
class AnswerReader {
  status: number | undefined;
  reusable = true;
  #head = '';
  #bodyLeft = 0;
  /** Chunked: the size line being read, or the data left of the current chunk, or the trailers. */
  #chunk: 'size' | 'data' | 'data-crlf' | 'trailers' | undefined;
  #line = '';
  #bodyBytes = 0;

  push(chunk: Buffer): 'more' | 'complete' | 'bad' {
    let at = 0;
    for (;;) {
      if (this.status === undefined) {
        if (at >= chunk.length) return 'more';
        const r = this.#readHead(chunk, at);
        if (r === 'bad' || r === 'more') return r;
        at = r;
        continue;
      }
      if (this.#framingDone()) return at === chunk.length ? 'complete' : 'bad'; // bytes after the answer: not ours to guess at
      if (at >= chunk.length) return 'more';
      const r = this.#readBody(chunk, at);
      if (r === 'bad') return 'bad';
      at = r;
    }
  }

  #framingDone(): boolean {
    return this.#chunk === undefined && this.#bodyLeft === 0;
  }

  /** The offset after a complete final head, or 'more'. */
  #readHead(chunk: Buffer, at: number): number | 'more' | 'bad' {
    const before = this.#head.length;
    this.#head += chunk.toString('latin1', at);
    const end = this.#head.indexOf('\r\n\r\n');
    if (end < 0) return this.#head.length > MAX_HEAD_BYTES ? 'bad' : 'more';
    if (end + 4 > MAX_HEAD_BYTES) return 'bad';
    const head = this.#head.slice(0, end);
    const next = at + (end + 4 - before);
    this.#head = '';
    const m = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?(?:\r\n|$)/.exec(head);
    if (!m) return 'bad';
    const status = Number(m[2]);
    if (status < 200) return status === 101 ? 'bad' : next; // interim (100 Continue, 103 Early Hints): the final head follows
    this.status = status;
    if (m[1] === '0') this.reusable = /\r\nconnection:[ \t]*keep-alive[ \t]*(?:\r\n|$)/i.test(head);
    if (/\r\nconnection:[^\r\n]*\bclose\b/i.test(head)) this.reusable = false;
    if (status === 204 || status === 304) return next;
    if (/\r\ntransfer-encoding:[^\r\n]*\bchunked[ \t]*(?:\r\n|$)/i.test(head)) {
      this.#chunk = 'size';
      return next;
    }
    const cl = /\r\ncontent-length:[ \t]*(\d{1,15})[ \t]*(?:\r\n|$)/i.exec(head);
    if (!cl) return 'bad'; // a body only the close ends: the verdict stands, the connection goes
    this.#bodyLeft = Number(cl[1]);
    return this.#bodyLeft > MAX_BODY_BYTES ? 'bad' : next;
  }

  #readBody(chunk: Buffer, at: number): number | 'bad' {
    if (this.#chunk === undefined) {
      const take = Math.min(this.#bodyLeft, chunk.length - at);
      this.#bodyLeft -= take;
      return at + take;
    }
    if (this.#chunk === 'data') {
      const take = Math.min(this.#bodyLeft, chunk.length - at);
      this.#bodyLeft -= take;
      if (this.#bodyLeft === 0) this.#chunk = 'data-crlf';
      return at + take;
    }
    // a line: a chunk's size, the CRLF after its data, or a trailer (an empty one ends the body)
    const nl = chunk.indexOf(0x0a, at);
    const upTo = nl < 0 ? chunk.length : nl + 1;
    this.#line += chunk.toString('latin1', at, upTo);
    if (this.#line.length > 4096) return 'bad';
    if (nl < 0) return upTo;
    const line = this.#line.replace(/\r?\n$/, '');
    this.#line = '';
    if (this.#chunk === 'data-crlf') {
      if (line !== '') return 'bad';
      this.#chunk = 'size';
    } else if (this.#chunk === 'size') {
      const m = /^0*([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
      if (!m) return 'bad';
      const size = parseInt(m[1]!, 16);
      this.#bodyBytes += size;
      if (this.#bodyBytes > MAX_BODY_BYTES) return 'bad';
      if (size === 0) this.#chunk = 'trailers';
      else {
        this.#bodyLeft = size;
        this.#chunk = 'data';
      }
    } else if (line === '') {
      this.#chunk = undefined; // the empty line after the last chunk's trailers
    }
    return upTo;
  }
}

/** Path and Host a VS is checked with: static → /.corral/health; app → its healthPath and first domain. */
export function healthTarget(spec: { kind: 'static' | 'app'; healthPath: string; domains: string[]; site: string }, address: string, port: number): HealthTarget {
  const host = spec.domains[0] ?? spec.site;
  return { address, port, path: checkedPath(spec), host };
}
