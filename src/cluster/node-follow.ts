// A controller's side of a role's API (node-api.ts): a JSON answer asked with the farm's
// admin token and a deadline (askNode), a followed log read as it streams (streamLines,
// NDJSON with heartbeats), and the line that stands in for a source whose host could not
// give its lines (missingLine). The engines' and the router nodes' readers use them
// (remote-engine-logs.ts, remote-router-logs.ts).

import { request, type IncomingMessage } from 'node:http';
import { getJson } from '../lib/post-json.ts';
import { FOLLOW_HEARTBEAT_MS } from './node-api.ts';
import { nodeRefusal, nodeUnreachable, type ApiRole, type ClusterError } from './errors.ts';

/** A followed log silent this long (no line, no heartbeat) is taken as lost: three missed heartbeats. */
export const FOLLOW_IDLE_MS = 3 * FOLLOW_HEARTBEAT_MS;
/** A tail of 10,000 long lines fits. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * GET a JSON answer of `role` `id`'s API at url. A failure to answer rejects with its
 * CLUSTER_<ROLE>_UNREACHABLE (and is told to `failed` first); an error answer with the
 * role's own error (nodeRefusal).
 */
export async function askNode<T>(role: ApiRole, id: string, url: string, o: { timeoutMs: number; headers: Record<string, string> }, failed?: (err: ClusterError) => void): Promise<T> {
  let res;
  try {
    res = await getJson(url, { timeoutMs: o.timeoutMs, headers: o.headers, maxBytes: MAX_ANSWER_BYTES });
  } catch (err) {
    const lost = nodeUnreachable(role, id, `${new URL(url).origin}: ${(err as Error).message}`);
    failed?.(lost);
    throw lost;
  }
  if (res.status !== 200) throw nodeRefusal(role, id, res.status, res.json);
  return res.json as T;
}

/** The line a source (a VS, a router node) gets in place of its own when its host cannot give them. */
export function missingLine(err: unknown): string {
  return `corral: ${(err as Error).message}: its lines are missing here`;
}

export interface StreamHandlers {
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
export function streamLines(url: string, headers: Record<string, string>, limits: { timeoutMs: number; idleMs: number }, h: StreamHandlers): () => void {
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
    res.on('end', () => end(new Error('it ended the stream')));
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
