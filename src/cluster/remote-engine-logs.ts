// `corral logs` on a farm on etcd: the controller's EngineLogs (controller/options.ts) over
// the engines' APIs (engine-api.ts), each VS read from its own engine (engine-directory.ts),
// so the logs route works as on one machine. An engine that is down, unregistered or slow
// costs only its own VSs' lines: each gets one line saying so instead (`corral: …`), the
// other engines' lines still come, and no call waits past `timeoutMs`. A followed VS whose
// engine is lost says so once and is followed again when its engine answers (from then on:
// lines written meanwhile are not replayed).

import { request, type IncomingMessage } from 'node:http';
import type { EngineLogs, VsLogInfo } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import { getJson } from '../lib/post-json.ts';
import { FOLLOW_HEARTBEAT_MS } from './engine-api.ts';
import type { EngineDirectory } from './engine-directory.ts';
import { ClusterError, engineRefusal, engineUnreachable } from './errors.ts';

export interface RemoteEngineLogsOptions {
  /** Where VSs and engines are found (engineDirectory over the farm's store). */
  directory: EngineDirectory;
  /** The farm's admin token: what the engines' APIs accept from controllers (engine-api-auth.ts). */
  token: string;
  log: Logger;
  /** Longest wait for an engine's answer (a tail, a list, the start of a follow); default 5 s. */
  timeoutMs?: number;
  /** A followed log silent this long (no line, no heartbeat) is taken as lost; default 3 engine heartbeats. */
  idleMs?: number;
  /** A lost follow is tried again after this long; default 2 s. */
  retryMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** A tail of 10,000 long lines fits. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export function remoteEngineLogs(o: RemoteEngineLogsOptions): EngineLogs {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const auth = { authorization: `Bearer ${o.token}` };
  const { directory } = o;

  /** GET a JSON answer from the engine's API; a failure to answer marks it failing for a while. */
  const ask = async <T>(engine: string, path: string): Promise<T> => {
    const base = await directory.apiUrlOf(engine);
    let res;
    try {
      res = await getJson(`${base}${path}`, { timeoutMs, headers: auth, maxBytes: MAX_ANSWER_BYTES });
    } catch (err) {
      const lost = engineUnreachable(engine, `${base}: ${(err as Error).message}`);
      directory.failed(engine, lost);
      throw lost;
    }
    if (res.status !== 200) throw engineRefusal(engine, res.status, res.json);
    return res.json as T;
  };

  return {
    async listVsLogs(site) {
      const engines = await directory.engines();
      const lists = await Promise.all(engines.map(async ({ id }) => {
        try {
          const { logs } = await ask<{ logs: VsLogInfo[] }>(id, `/v1/logs${site !== undefined ? `?site=${encodeURIComponent(site)}` : ''}`);
          for (const l of logs) directory.remember(l.vs, id);
          return logs;
        } catch (err) {
          // its current VSs' tails say so, one line each; the retired ones it keeps are left out
          o.log.warn({ event: 'logs.engine_unreachable', engine: id, err }, `the logs kept on engine ${id} could not be listed`);
          return [];
        }
      }));
      return lists.flat().sort((a, b) => (a.vs < b.vs ? -1 : a.vs > b.vs ? 1 : 0));
    },

    async tail(vs, lines) {
      const engine = await directory.engineOf(vs);
      if (engine === undefined) return [];
      try {
        return (await ask<{ lines: string[] }>(engine, `/v1/vs/${encodeURIComponent(vs)}/logs?tail=${lines}`)).lines;
      } catch (err) {
        return [missingLine(err)];
      }
    },

    follow(vs, onLine, how = {}) {
      let stopped = false;
      let close: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      let lost = false;
      const idleMs = o.idleMs ?? 3 * FOLLOW_HEARTBEAT_MS;
      const again = () => {
        if (!stopped) timer = setTimeout(() => void open(false), o.retryMs ?? 2_000);
      };
      const lose = (err: unknown) => {
        close?.();
        close = undefined;
        if (stopped) return;
        if (!lost) onLine(`${missingLine(err)}; following again once it answers`);
        lost = true;
        again();
      };
      const open = async (fromStart: boolean) => {
        const engine = await directory.engineOf(vs).catch(() => undefined);
        if (stopped) return;
        if (engine === undefined) return again(); // not in the store yet: a VS starting
        let base: string;
        try {
          base = await directory.apiUrlOf(engine);
        } catch (err) {
          return lose(err);
        }
        if (stopped) return;
        const url = `${base}/v1/vs/${encodeURIComponent(vs)}/logs?follow=true${fromStart ? '&fromStart=true' : ''}`;
        close = streamLines(url, auth, { timeoutMs, idleMs }, {
          onOpen: () => {
            if (lost) onLine(`corral: engine ${engine} answers again: following ${vs} from now`);
            lost = false;
          },
          onLine,
          onEnd: (err) => {
            const failure = err instanceof ClusterError ? err : engineUnreachable(engine, `${base}: ${err.message}`);
            if (failure.code === 'CLUSTER_ENGINE_UNREACHABLE') directory.failed(engine, failure);
            lose(failure);
          },
          refused: (status, json) => engineRefusal(engine, status, json),
        });
      };
      void open(how.fromStart === true);
      return () => {
        stopped = true;
        clearTimeout(timer);
        close?.();
      };
    },
  };
}

/** The line a VS gets in place of its own when its engine cannot give them. */
function missingLine(err: unknown): string {
  return `corral: ${(err as Error).message}: its lines are missing here`;
}

interface StreamHandlers {
  onOpen(): void;
  onLine(line: string): void;
  /** The stream ended or failed (never after the caller destroyed the request). */
  onEnd(err: Error): void;
  refused(status: number, json: unknown): Error;
}

/**
 * GET a followed log (NDJSON) and hand over its lines; a silence of idleMs or no headers
 * within timeoutMs ends it. Returns the close, after which nothing more is reported.
 */
function streamLines(url: string, headers: Record<string, string>, limits: { timeoutMs: number; idleMs: number }, h: StreamHandlers): () => void {
  let ended = false;
  let idle: NodeJS.Timeout | undefined;
  const end = (err: Error) => {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    req.destroy();
    h.onEnd(err);
  };
  const quiet = (ms: number, what: string) => {
    clearTimeout(idle);
    idle = setTimeout(() => end(new Error(what)), ms);
  };
  const req = request(url, { headers, agent: false });
  quiet(limits.timeoutMs, `no answer within ${limits.timeoutMs} ms`);
  req.on('error', (err) => end(err));
  req.on('response', (res: IncomingMessage) => {
    if (res.statusCode !== 200) return void readError(res).then((json) => end(h.refused(res.statusCode ?? 0, json)));
    h.onOpen();
    quiet(limits.idleMs, `silent for ${limits.idleMs} ms`);
    let partial = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      quiet(limits.idleMs, `silent for ${limits.idleMs} ms`);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        const line = parseMessage(part);
        if (line !== undefined && !ended) h.onLine(line);
      }
    });
    res.on('end', () => end(new Error('the engine ended the stream')));
    res.on('error', (err) => end(err));
  });
  req.end();
  return () => {
    ended = true;
    clearTimeout(idle);
    req.destroy();
  };
}

function parseMessage(text: string): string | undefined {
  try {
    const m = JSON.parse(text) as { line?: unknown };
    return typeof m.line === 'string' ? m.line : undefined;
  } catch {
    return undefined;
  }
}

async function readError(res: IncomingMessage): Promise<unknown> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) if ((text += chunk).length > 64 * 1024) break;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
