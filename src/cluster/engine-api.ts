// `corral engine --api-port`: the engine's own API, which the farm's controllers call for
// what only this host has — its VSs' output (`corral logs`) and commands run inside them
// (`corral vs exec`). Plain HTTP on the engine's --address, like the controllers' API;
// every request is checked first (engine-api-auth.ts: the farm's admin token, which only
// controllers hold), before its path or body is looked at. It answers for this engine's
// VSs only: their log files in its folder, its runtime. Routes:
//
//   GET  /v1/logs?site=<name>                       {logs: VsLogInfo[]} (EngineLogs.listVsLogs)
//   GET  /v1/vs/<vs>/logs?tail=<n>                  {lines} (EngineLogs.tail)
//   GET  /v1/vs/<vs>/logs?follow=true[&fromStart=true]
//        one JSON object a line (application/x-ndjson): {"line": "…"} per log line, and {}
//        every heartbeatMs so the controller can tell a quiet VS from a lost engine
//   POST /v1/vs/<vs>/exec {argv, timeoutMs?}         {stdout, stderr, code} (Runtime.exec)
//
// Errors are `{error: {code, message}}` with the error's status (a CorralError's, else 500).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execInVs, type EngineLogs, type Runtime } from '../engine/index.ts';
import { CorralError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { urlHost } from '../lib/url-host.ts';
import type { Store } from '../store/index.ts';
import { checkControllerToken } from './engine-api-auth.ts';
import { engineApiBadRequest, engineApiNotFound } from './errors.ts';

/** The port `corral engine` serves its API on unless `--api-port` says otherwise. */
export const DEFAULT_ENGINE_API_PORT = 7401;
/** How often a followed log says it is alive when its VS writes nothing. */
export const FOLLOW_HEARTBEAT_MS = 10_000;

export interface EngineApiOptions {
  store: Store;
  /** This engine's log reader (createEngineLogs over its folder). */
  logs: EngineLogs;
  /** This engine's runtime once it has started (exec); undefined before. */
  runtime: () => Runtime | undefined;
  listen: { port: number; host: string };
  log: Logger;
  heartbeatMs?: number;
}

export interface EngineApi {
  /** e.g. http://10.0.0.1:7401: what the engine record's apiUrl says. */
  url: string;
  /** How many followed logs are open now. */
  following(): number;
  /** Stops listening and ends every followed log. Safe twice. */
  close(): Promise<void>;
}

/** Most lines a tail may ask for (the controller's own limit). */
const MAX_TAIL = 10_000;
/** Largest exec request body. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A followed log buffers at most this much for a slow controller; beyond, lines are dropped and counted. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export async function startEngineApi(o: EngineApiOptions): Promise<EngineApi> {
  const follows = new Set<() => void>();
  const heartbeatMs = o.heartbeatMs ?? FOLLOW_HEARTBEAT_MS;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err, o.log));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await checkControllerToken(o.store, req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://engine');
    const vs = /^\/v1\/vs\/([^/]+)\/(logs|exec)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/v1/logs') return sendJson(res, 200, { logs: await o.logs.listVsLogs(url.searchParams.get('site') ?? undefined) });
    if (req.method === 'GET' && vs?.[2] === 'logs') return serveLogs(res, req, segment(vs[1]!), url.searchParams);
    if (req.method === 'POST' && vs?.[2] === 'exec') {
      const { argv, timeoutMs } = execRequest(await readBody(req));
      return sendJson(res, 200, await execInVs(o.runtime(), segment(vs[1]!), argv, timeoutMs));
    }
    throw engineApiNotFound(req.method ?? 'GET', url.pathname);
  }

  async function serveLogs(res: ServerResponse, req: IncomingMessage, vs: string, query: URLSearchParams): Promise<void> {
    if (query.get('follow') !== 'true') return sendJson(res, 200, { lines: await o.logs.tail(vs, tailOf(query.get('tail'))) });
    let dropped = 0;
    const write = (message: object) => res.write(`${JSON.stringify(message)}\n`);
    const stop = o.logs.follow(vs, (line) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) return void dropped++;
      if (dropped > 0) write({ line: `corral: engine dropped ${dropped} line(s): the reader was too slow` });
      dropped = 0;
      write({ line });
    }, query.get('fromStart') === 'true' ? { fromStart: true } : {}); // a bad name throws here, before the headers
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
    url: `http://${urlHost(o.listen.host)}:${port}`,
    following: () => follows.size,
    close: () => (closing ??= new Promise((ok) => {
      for (const end of [...follows]) end();
      server.close(() => ok());
      server.closeAllConnections();
    })),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  const e = err instanceof CorralError ? err : undefined;
  const status = e?.status ?? 500;
  if (status >= 500) log.error({ event: 'engine_api.failed', err }, 'an engine API request failed');
  if (res.headersSent) return void res.end();
  sendJson(res, status, { error: { code: e?.code ?? 'CLUSTER_ENGINE_API_FAILED', message: e?.message ?? 'the engine could not answer (see its log)' } });
}

/** A path segment decoded (a VS name; the log reader and the runtime check it). */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw engineApiBadRequest(`the path segment "${raw}" does not decode`);
  }
}

function tailOf(raw: string | null): number {
  const n = raw === null ? 100 : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL) throw engineApiBadRequest(`tail must be a whole number from 0 to ${MAX_TAIL}, got "${raw}"`);
  return n;
}

function execRequest(text: string): { argv: string[]; timeoutMs?: number } {
  let body: { argv?: unknown; timeoutMs?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw engineApiBadRequest('the body is not JSON: send {"argv": ["cmd", …], "timeoutMs"?: n}');
  }
  const { argv, timeoutMs } = body ?? {};
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) throw engineApiBadRequest('argv must be a non-empty list of strings');
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 100 || (timeoutMs as number) > 600_000)) throw engineApiBadRequest('timeoutMs must be a whole number from 100 to 600000');
  return { argv: argv as string[], ...(timeoutMs !== undefined ? { timeoutMs: timeoutMs as number } : {}) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw engineApiBadRequest(`the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
