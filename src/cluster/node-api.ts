// A role's own API for the farm's controllers: what only that host has — an engine's VSs'
// output and exec (engine-api.ts), a router node's per-site access lines (router-api.ts).
// Plain HTTP on the role's cluster address, like the controllers' API. Every request is
// checked first (node-api-auth.ts: the farm's admin token, which only controllers hold),
// before its path or body is looked at; then the role's `answer` gives either a JSON body
// (200) or a followed log, sent as one JSON object a line (application/x-ndjson):
// {"line": "…"} per log line, and {} every heartbeatMs so the controller can tell a quiet
// log from a lost host (node-follow.ts reads it).
//
// Errors are `{error: {code, message}}` with the error's status (a CorralError's, else 500
// with the role's CLUSTER_<ROLE>_API_FAILED).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CorralError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { urlHost } from '../lib/url-host.ts';
import type { Store } from '../store/index.ts';
import { checkControllerToken } from './node-api-auth.ts';
import { apiBadRequest, apiFailed, type ApiRole } from './errors.ts';

/** How often a followed log says it is alive when nothing is written to it. */
export const FOLLOW_HEARTBEAT_MS = 10_000;
/** Most lines a tail may ask for (the controller's own limit). */
export const MAX_TAIL = 10_000;

/** What a checked request is answered with: a JSON body, or a log followed until the caller leaves (start it: its stop is returned; a bad name throws). */
export type NodeAnswer = { json: unknown } | { follow: (onLine: (line: string) => void) => () => void };

export interface NodeApiOptions {
  role: ApiRole;
  store: Store;
  listen: { port: number; host: string };
  /** The host its URL names, when not the listen host (a router on 0.0.0.0: the address it is reached at). */
  advertiseHost?: string;
  log: Logger;
  heartbeatMs?: number;
  /** The role's routes, called once the caller's token is the farm's admin token. */
  answer(req: IncomingMessage, url: URL): Promise<NodeAnswer>;
}

export interface NodeApi {
  /** e.g. http://10.0.0.1:7401: what the role's record names. */
  url: string;
  /** How many followed logs are open now. */
  following(): number;
  /** Stops listening and ends every followed log. Safe twice. */
  close(): Promise<void>;
}

/** A followed log buffers at most this much for a slow controller; beyond, lines are dropped and counted. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export async function startNodeApi(o: NodeApiOptions): Promise<NodeApi> {
  const follows = new Set<() => void>();
  const heartbeatMs = o.heartbeatMs ?? FOLLOW_HEARTBEAT_MS;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err, o.role, o.log));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await checkControllerToken(o.store, req.headers.authorization, o.role);
    const answer = await o.answer(req, new URL(req.url ?? '/', `http://${o.role}`));
    if ('json' in answer) return sendJson(res, 200, answer.json);
    let dropped = 0;
    const write = (message: object) => res.write(`${JSON.stringify(message)}\n`);
    const stop = answer.follow((line) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) return void dropped++;
      if (dropped > 0) write({ line: `corral: ${o.role} dropped ${dropped} line(s): the reader was too slow` });
      dropped = 0;
      write({ line });
    }); // a bad name throws here, before the headers
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    const heartbeat = setInterval(() => write({}), heartbeatMs);
    const end = () => {
      if (!follows.delete(end)) return;
      clearInterval(heartbeat);
      stop();
      res.end();
    };
    follows.add(end);
    res.once('close', end);
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.listen.port, o.listen.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(o.advertiseHost ?? o.listen.host)}:${port}`,
    following: () => follows.size,
    close: () => (closing ??= new Promise((ok) => {
      for (const end of [...follows]) end();
      server.close(() => ok());
      server.closeAllConnections();
    })),
  };
}

/** A path segment decoded (a VS name, a site key; the role checks it further). */
export function pathSegment(role: ApiRole, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw apiBadRequest(role, `the path segment "${raw}" does not decode`);
  }
}

/** `?tail=`: 100 when absent, else a whole number from 0 to MAX_TAIL. */
export function tailCount(role: ApiRole, raw: string | null): number {
  const n = raw === null ? 100 : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL) throw apiBadRequest(role, `tail must be a whole number from 0 to ${MAX_TAIL}, got "${raw}"`);
  return n;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

function sendError(res: ServerResponse, err: unknown, role: ApiRole, log: Logger): void {
  const e = err instanceof CorralError ? err : apiFailed(role);
  if (e.status >= 500) log.error({ event: `${role}_api.failed`, err }, `a ${role} API request failed`);
  if (res.headersSent) return void res.end();
  sendJson(res, e.status, { error: { code: e.code, message: e.message } });
}
