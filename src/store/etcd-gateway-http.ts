// HTTP to etcd's JSON gateway (the members' client URLs), with node:http/node:https and
// one keep-alive agent: unary POSTs that fail over between the members, and long
// streaming POSTs (watches). The last member that answered is asked first; a member that
// refuses, drops or does not answer within the attempt deadline (attemptTimeoutMs), or says
// "unavailable" (no leader), passes the call to the next one. The store repeats a round
// that found no member until its call deadline (etcd-retry.ts).
//
// A member that hangs (a stopped process, a host that drops packets) keeps a stream's
// socket open and says nothing, which an idle watch cannot tell from quiet. So a member
// that carries streams and has sent nothing for quietMs (3 s) is asked for its status; no
// answer within the attempt deadline ends its streams as lost (the watch resumes on the
// next member). A hung member is found within ≈ 2 × quietMs + the attempt deadline.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readAnswer, type Json } from './etcd-json.ts';
import { InvalidArgumentError, StoreBadResponseError, StoreClosedError, StoreUnavailableError } from './errors.ts';

/** TLS towards etcd (https:// endpoints): the CA that signed the members' certificates, and a client certificate. */
export interface GatewayTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** How long a member carrying streams may stay silent before it is asked whether it still answers. */
const QUIET_MS = 3000;

/** The longest answer read (a range of the whole farm fits many times over); more is a bad response. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface StreamHandlers {
  /** One JSON line of the stream (the first arrives within the attempt deadline, or the stream ends). */
  line(text: string): void;
  /** The stream ended: the member went away, answered an error, or sent more than a line may hold. Not called after abort. */
  end(err: Error): void;
}

/** The members' URLs from a store's endpoints ('http://…', 'https://…' or 'host:port', taken as http). */
export function memberUrls(endpoints: readonly string[]): URL[] {
  return endpoints.map((e) => new URL(/^https?:\/\//.test(e) ? e : `http://${e}`));
}

export interface GatewayHttpOptions {
  /** One member's deadline for a call, or for a stream's first line. */
  attemptTimeoutMs: number;
  tls?: GatewayTls | undefined;
  /** How long a member carrying streams may stay silent before it is asked whether it still answers (default QUIET_MS). */
  quietMs?: number | undefined;
  /** The member asked first (default the first). */
  first?: number;
}

export class GatewayHttp {
  private readonly agent: HttpAgent;
  private readonly requests = new Set<ClientRequest>();
  private preferred = 0;
  private closed = false;
  /** Each member's open streams (their end), and when it last sent anything. */
  private readonly streams: Set<(err: Error) => void>[];
  private readonly heard: number[];
  private readonly checking = new Set<number>();
  private quietCheck: NodeJS.Timeout | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly quietMs: number;

  constructor(
    private readonly members: URL[],
    { attemptTimeoutMs, tls = {}, quietMs = QUIET_MS, first = 0 }: GatewayHttpOptions,
  ) {
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.quietMs = quietMs;
    const schemes = new Set(members.map((m) => m.protocol));
    if (members.length === 0 || schemes.size !== 1 || !(schemes.has('http:') || schemes.has('https:'))) {
      throw new InvalidArgumentError('etcd endpoints must all be http:// or all https://');
    }
    this.agent = schemes.has('https:') ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
    this.preferred = first % Math.max(1, members.length);
    this.streams = members.map(() => new Set());
    this.heard = members.map(() => Date.now());
  }

  /** POST body to path on one member after another, from the preferred one, until one answers: its JSON answer. */
  async post(path: string, body: Json): Promise<Json> {
    let failure: unknown;
    for (let i = 0; i < this.members.length; i++) {
      const member = (this.preferred + i) % this.members.length;
      try {
        const answer = await this.attempt(member, path, body);
        this.preferred = member;
        return answer;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        failure = err;
      }
    }
    throw failure;
  }

  /** A streaming POST to the preferred member; on the stream's loss, the next call (or stream) prefers the next member. */
  stream(path: string, body: Json, on: StreamHandlers): { abort(): void } {
    const member = this.preferred;
    const req = this.send(member, path, body);
    let ended = false;
    const end = (err: Error) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      req.destroy();
      this.forget(req);
      this.unlisten(member, end);
      if (err instanceof StoreUnavailableError) this.skip(member);
      on.end(err);
    };
    this.listen(member, end);
    const timer = setTimeout(() => end(this.timeout(member)), this.attemptTimeoutMs);
    req.on('error', (err) => end(this.connectionError(member, err)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        readBody(res).then(
          (text) => {
            const answer = errorOr(() => readAnswer(res.statusCode ?? 0, text));
            end(answer instanceof Error ? answer : new StoreBadResponseError(`HTTP ${res.statusCode} without an error`));
          },
          (err: Error) => end(err instanceof StoreBadResponseError ? err : this.connectionError(member, err)),
        );
        return;
      }
      readLines(res, (text) => {
        clearTimeout(timer);
        this.heard[member] = Date.now();
        if (!ended) on.line(text);
      }).then(
        () => end(new StoreUnavailableError(`${this.members[member]?.host}: the member ended the stream`)),
        (err: Error) => end(err instanceof StoreBadResponseError ? err : this.connectionError(member, err)),
      );
    });
    return {
      abort: () => {
        ended = true;
        clearTimeout(timer);
        req.destroy();
        this.forget(req);
        this.unlisten(member, end);
      },
    };
  }

  /** End every request and socket. */
  close(): void {
    this.closed = true;
    clearInterval(this.quietCheck);
    this.quietCheck = undefined;
    for (const req of this.requests) req.destroy();
    this.requests.clear();
    this.agent.destroy();
  }

  private listen(member: number, end: (err: Error) => void): void {
    this.streams[member]?.add(end);
    this.quietCheck ??= setInterval(() => this.checkQuiet(), this.quietMs);
  }

  private unlisten(member: number, end: (err: Error) => void): void {
    this.streams[member]?.delete(end);
    if (this.streams.every((s) => s.size === 0)) {
      clearInterval(this.quietCheck);
      this.quietCheck = undefined;
    }
  }

  /** Ask each member that carries streams and has been silent for quietMs whether it still answers; end its streams if not. */
  private checkQuiet(): void {
    const now = Date.now();
    this.streams.forEach((ends, member) => {
      if (ends.size === 0 || this.checking.has(member) || now - (this.heard[member] ?? now) < this.quietMs) return;
      this.checking.add(member);
      const asked = Date.now();
      this.attempt(member, '/v3/maintenance/status', {}).then(
        () => this.checking.delete(member),
        (err: unknown) => {
          this.checking.delete(member);
          if (!(err instanceof StoreUnavailableError)) return; // it answered, if not as expected: it is not hung
          if ((this.heard[member] ?? 0) >= asked) return; // a stream heard from it since: not hung
          for (const end of [...ends]) end(err);
        },
      );
    });
  }

  private attempt(member: number, path: string, body: Json): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const req = this.send(member, path, body);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.forget(req);
        fn();
      };
      const fail = (err: Error) => settle(() => reject(err));
      const timer = setTimeout(() => {
        fail(this.timeout(member));
        req.destroy();
      }, this.attemptTimeoutMs);
      req.on('error', (err) => fail(this.connectionError(member, err)));
      req.on('response', (res) => {
        readBody(res).then(
          (text) => {
            this.heard[member] = Date.now();
            const answer = errorOr(() => readAnswer(res.statusCode ?? 0, text));
            if (answer instanceof Error) fail(answer);
            else settle(() => resolve(answer));
          },
          (err: Error) => fail(err instanceof StoreBadResponseError ? err : this.connectionError(member, err)),
        );
      });
    }).catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) this.skip(member);
      throw err;
    });
  }

  private send(member: number, path: string, body: Json): ClientRequest {
    if (this.closed) throw new StoreClosedError();
    const url = new URL(path, this.members[member]);
    const payload = JSON.stringify(body);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    this.requests.add(req);
    req.end(payload);
    return req;
  }

  private forget(req: ClientRequest): void {
    this.requests.delete(req);
  }

  /** After member failed: the next call starts on the next one (unless another call moved on already). */
  private skip(member: number): void {
    if (this.preferred === member) this.preferred = (member + 1) % this.members.length;
  }

  private timeout(member: number): Error {
    return new StoreUnavailableError(`${this.members[member]?.host}: no answer within ${this.attemptTimeoutMs} ms (deadline exceeded)`);
  }

  private connectionError(member: number, err: Error): Error {
    if (this.closed) return new StoreClosedError();
    return new StoreUnavailableError(`${this.members[member]?.host}: ${err.message}`, { cause: err });
  }
}

/** What fn returns, or the error it throws. */
function errorOr<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The whole body as text, at most MAX_ANSWER_BYTES. */
async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      res.destroy();
      throw new StoreBadResponseError(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Each newline-ended line of a streaming body to onLine; resolves when the body ends. */
async function readLines(res: IncomingMessage, onLine: (text: string) => void): Promise<void> {
  let pending = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    pending += chunk as string;
    if (pending.length > MAX_ANSWER_BYTES) throw new StoreBadResponseError(`a stream line longer than ${MAX_ANSWER_BYTES} bytes`);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) onLine(line);
    }
  }
  // a line the close cut short is dropped: the watch resumes from its last delivered revision
}
