// `corral engine --api-port`: the engine's own API, which the farm's controllers call for
// what only this host has — its VSs' output (`corral logs`) and commands run inside them
// (`corral vs exec`). Plain HTTP on the engine's --address, like the controllers' API;
// every request is checked first (node-api.ts, node-api-auth.ts: the farm's admin token,
// which only controllers hold), before its path or body is looked at. It answers for this
// engine's VSs only: their log files in its folder, its runtime. Routes:
//
//   GET  /v1/logs?site=<name>                       {logs: VsLogInfo[]} (EngineLogs.listVsLogs)
//   GET  /v1/vs/<vs>/logs?tail=<n>                  {lines} (EngineLogs.tail)
//   GET  /v1/vs/<vs>/logs?follow=true[&fromStart=true]
//        one JSON object a line (application/x-ndjson): {"line": "…"} per log line, and {}
//        every heartbeatMs so the controller can tell a quiet VS from a lost engine
//   POST /v1/vs/<vs>/exec {argv, timeoutMs?}         {stdout, stderr, code} (Runtime.exec)
//
// Errors are `{error: {code, message}}` with the error's status (a CorralError's, else 500).

import type { IncomingMessage } from 'node:http';
import { execInVs, type EngineLogs, type Runtime } from '../engine/index.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/index.ts';
import { apiBadRequest, apiNotFound } from './errors.ts';
import { pathSegment, startNodeApi, tailCount, type NodeApi, type NodeAnswer } from './node-api.ts';

/** The port `corral engine` serves its API on unless `--api-port` says otherwise. */
export const DEFAULT_ENGINE_API_PORT = 7401;

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

/** e.g. http://10.0.0.1:7401 (url): what the engine record's apiUrl says. */
export type EngineApi = NodeApi;

/** Largest exec request body. */
const MAX_BODY_BYTES = 1024 * 1024;
const ROUTES = 'GET /v1/logs, GET /v1/vs/<vs>/logs, POST /v1/vs/<vs>/exec';

export function startEngineApi(o: EngineApiOptions): Promise<EngineApi> {
  return startNodeApi({
    role: 'engine', store: o.store, listen: o.listen, log: o.log, ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
    async answer(req, url): Promise<NodeAnswer> {
      const vs = /^\/v1\/vs\/([^/]+)\/(logs|exec)$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/v1/logs') return { json: { logs: await o.logs.listVsLogs(url.searchParams.get('site') ?? undefined) } };
      if (req.method === 'GET' && vs?.[2] === 'logs') {
        const name = pathSegment('engine', vs[1]!);
        const query = url.searchParams;
        if (query.get('follow') !== 'true') return { json: { lines: await o.logs.tail(name, tailCount('engine', query.get('tail'))) } };
        return { follow: (onLine) => o.logs.follow(name, onLine, query.get('fromStart') === 'true' ? { fromStart: true } : {}) };
      }
      if (req.method === 'POST' && vs?.[2] === 'exec') {
        const { argv, timeoutMs } = execRequest(await readBody(req));
        return { json: await execInVs(o.runtime(), pathSegment('engine', vs[1]!), argv, timeoutMs) };
      }
      throw apiNotFound('engine', req.method ?? 'GET', url.pathname, ROUTES);
    },
  });
}

function execRequest(text: string): { argv: string[]; timeoutMs?: number } {
  let body: { argv?: unknown; timeoutMs?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw apiBadRequest('engine', 'the body is not JSON: send {"argv": ["cmd", …], "timeoutMs"?: n}');
  }
  const { argv, timeoutMs } = body ?? {};
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) throw apiBadRequest('engine', 'argv must be a non-empty list of strings');
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 100 || (timeoutMs as number) > 600_000)) throw apiBadRequest('engine', 'timeoutMs must be a whole number from 100 to 600000');
  return { argv: argv as string[], ...(timeoutMs !== undefined ? { timeoutMs: timeoutMs as number } : {}) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw apiBadRequest('engine', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
