// HTTP through the router with a chosen Host header, over keep-alive connections.
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { Agent, request } from 'undici';

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAliveTimeout: 2_000, connections: 16 });

export async function get(baseUrl: string, host: string, path = '/', method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(`${baseUrl}${path}`, { method: method as 'GET', headers: { ...headers, host }, dispatcher: agent });
  const body = await res.body.text();
  return { status: res.statusCode, body, headers: res.headers };
}

/** The `version` of `n` JSON answers through the router (examples/node-app's), each asserted a 200. */
export async function versionsServed(baseUrl: string, host: string, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(baseUrl, host);
    if (r.status !== 200) throw new Error(`${host} answered ${r.status}: ${r.body}`);
    seen.push((JSON.parse(r.body) as { version: string }).version);
  }
  return seen;
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

export interface RouterAnswer {
  status: number;
  body: string;
  ms: number;
}

/** GET / through the router with this Host; `agent: false` is a new connection (a first visitor). Network errors are status 0. */
export function routerGet(routerUrl: string, host: string, agent: HttpAgent | false, timeoutMs = 30_000): Promise<RouterAnswer> {
  const u = new URL(routerUrl);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: '/', agent, headers: { host }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      res.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - t0 }));
    req.end();
  });
}

/** One GET / with this Host on a connection of its own (node:http, no pool): a first visitor, as a wake from zero sees it. */
export async function getFresh(baseUrl: string, host: string): Promise<{ status: number; body: string }> {
  const { status, body } = await routerGet(baseUrl, host, false, 300_000);
  if (status === 0) throw new Error(`GET / for ${host} through ${baseUrl}: ${body}`);
  return { status, body };
}
