// `--metrics-port` of the router and engine roles: GET /metrics in Prometheus text format
// from one prom-client registry, on its own listener (loopback unless --metrics-host says
// otherwise), so a scraper never reaches the farm's traffic port and needs no token.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/log.ts';
import { sendScrape } from '../lib/metrics-scrape.ts';

export interface MetricsListen {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  close(): Promise<void>;
}

/** `registry` may be a function: asked on every scrape (a router cluster's sum is a fresh registry each time). */
export async function startMetricsServer(registry: Registry | (() => Registry), listen: MetricsListen, log: Logger): Promise<MetricsServer> {
  const current = typeof registry === 'function' ? registry : () => registry;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    void sendScrape(res, [current()], {
      head: req.method === 'HEAD',
      onError: (err) => log.error({ event: 'metrics.failed', err }, 'collecting metrics failed'),
    });
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(listen.port, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/metrics`,
    close: () => new Promise((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
