// HTTP through the router with a chosen Host header, over keep-alive connections.
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAliveTimeout: 2_000, connections: 16 });

export async function get(baseUrl: string, host: string, path = '/', method = 'GET'): Promise<Reply> {
  const res = await request(`${baseUrl}${path}`, { method: method as 'GET', headers: { host }, dispatcher: agent });
  const body = await res.body.text();
  return { status: res.statusCode, body, headers: res.headers };
}

export interface LoopResult {
  total: number;
  failed: { status: number | string; body: string }[];
  bodies: string[];
}

/** Sends GETs one after another (with `concurrency` in parallel) until stop() or `max`. */
export function requestLoop(baseUrl: string, host: string, opts: { concurrency?: number; max?: number; path?: string } = {}) {
  const result: LoopResult = { total: 0, failed: [], bodies: [] };
  let stopped = false;
  const max = opts.max ?? 100_000;
  const worker = async () => {
    while (!stopped && result.total < max) {
      result.total++;
      try {
        const r = await get(baseUrl, host, opts.path ?? '/');
        if (r.status !== 200) result.failed.push({ status: r.status, body: r.body.slice(0, 200) });
        else result.bodies.push(r.body);
      } catch (err) {
        result.failed.push({ status: (err as Error).message, body: '' });
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  return {
    result,
    async stop(): Promise<LoopResult> {
      stopped = true;
      await done;
      return result;
    },
    done: done.then(() => result),
  };
}

/** One GET / with this Host on a connection of its own (node:http, no pool): a first visitor, as a wake from zero sees it. */
export function getFresh(baseUrl: string, host: string): Promise<{ status: number; body: string }> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: '/', agent: false, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
