// The one place where a failure becomes an HTTP answer. 404s show the site's own
// 404.html when it has one; unexpected errors get a 500 with an id that is also logged.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/log.ts';
import type { SiteRoot } from './confine.ts';
import { WebRuntimeError } from './errors.ts';
import { findNotFoundPage } from './resolve-file.ts';
import { sendPage } from './send-file.ts';

export const ALLOW = 'GET, HEAD';

export function statusOf(err: unknown): number {
  return err instanceof WebRuntimeError ? err.status : 500;
}

export async function respondError(req: IncomingMessage, res: ServerResponse, err: unknown, root: SiteRoot | undefined, log: Logger): Promise<void> {
  const status = statusOf(err);
  if (res.headersSent) return void res.destroy();
  if (status === 500) return internalError(req, res, err, log);
  log.debug({ event: 'refused', code: (err as WebRuntimeError).code, status, url: req.url, reason: (err as Error).message });
  if (status === 405) res.setHeader('Allow', ALLOW);
  if (status === 404 && root) {
    const page = await findNotFoundPage(root);
    if (page) {
      try {
        return await sendPage(req, res, page.path, 404);
      } catch {
        if (res.headersSent) return void res.destroy();
      }
    }
  }
  if (status === 404) return sendText(req, res, 404, NOT_FOUND_PAGE, 'text/html; charset=utf-8');
  sendText(req, res, status, `${(err as Error).message}\n`);
}

/** A small response whose body is in memory. HEAD gets the headers only. */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function internalError(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  const errorId = randomBytes(6).toString('hex');
  log.error({ event: 'internal_error', errorId, url: req.url, err }, 'request failed');
  sendText(req, res, 500, `Internal error (id ${errorId}).\n`);
}

const NOT_FOUND_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#333}h1{font-size:1.5rem}</style>
</head><body><h1>404 — Not Found</h1><p>There is nothing at this address.</p></body></html>
`;
