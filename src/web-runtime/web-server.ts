// buildWebServer: the static web server of a static site's virtual server.
// Builds an http.Server; listening is the caller's job (main.ts, or a test on port 0).

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../lib/log.ts';
import { parseSites } from './config.ts';
import type { SiteRoot } from './confine.ts';
import { MethodNotAllowedError, UnknownHostError } from './errors.ts';
import { REVALIDATE_CACHE_CONTROL } from './content-type.ts';
import { parseRequestPath, type RequestPath } from './request-path.ts';
import { resolveFile } from './resolve-file.ts';
import { respondError, sendText } from './respond-error.ts';
import { sendFile } from './send-file.ts';
import { AnswerSlots } from './answer-slots.ts';
import { servedSites, type ServedSites } from './served-sites.ts';
import { SPA_VARY, takesSpaIndex } from './spa-fallback.ts';

export interface WebServerOptions {
  /** A fixed list of sites (CORRAL_WEB_SITES / CORRAL_WEB_ROOT) … */
  sites?: { domains: string[]; root: string; spa?: boolean }[];
  /**
   * … or table mode: the sites served now, read once per request (table-watch.ts swaps them);
   * whenVersion lets GET /.corral/sites?min=N wait for that table (table-watch.ts).
   */
  table?: { readonly current: ServedSites; whenVersion?(min: number, waitMs: number): Promise<void> };
  /** Table mode: GET /.corral/sites answers only a request whose `x-corral-key` header is this. */
  statusKey?: string;
  log?: Logger;
}

/** The engine's health check path, answered for any Host. */
export const HEALTH_PATH = '/.corral/health';
/** Table mode: the loaded table's version and { site: release }, for the engine. */
export const SITES_PATH = '/.corral/sites';
export const STATUS_KEY_HEADER = 'x-corral-key';
/** GET /.corral/sites?min=N waits at most this long for table version N before answering what is loaded. */
export const SITES_WAIT_MS = 5_000;

/**
 * How long an idle keep-alive connection stays open: longer than the engine's steady check
 * interval (30 s), its 1 s tick and a check's 2 s timeout, and shorter than the 60 s after
 * which the engine drops a kept connection it no longer uses.
 */
export const KEEP_ALIVE_MS = 45_000;

/** The site's root as a request path: its index.html (a single-page app's fallback). */
const SITE_INDEX: RequestPath = Object.freeze({ segments: [], trailingSlash: true, search: '' });

/** What the error path needs to know about a request: its site, once known. */
interface RequestContext {
  root?: SiteRoot;
}

export function buildWebServer(opts: WebServerOptions): http.Server {
  const log = opts.log ?? silentLogger;
  const source = opts.table ?? { current: servedSites(parseSites(opts.sites), { log }) };
  const server = http.createServer((req, res) => {
    const started = performance.now();
    res.on('finish', () => log.debug({ event: 'request', method: req.method, host: req.headers.host, url: req.url, status: res.statusCode, ms: Math.round(performance.now() - started) }));
    const ctx: RequestContext = {};
    handle(req, res, ctx).catch((err: unknown) =>
      respondError(req, res, err, ctx.root, log).catch((e: unknown) => {
        log.error({ event: 'respond_failed', err: e });
        res.destroy();
      }),
    );
  });

  // An idle keep-alive connection stays open this long (Node's default is 5 s): the engine's
  // health check comes every 10 s, then every 30 s, over one kept connection, which a shorter timeout closes
  // between checks (a connect, an accept and a close more per check, on both sides). The
  // router closes its own idle upstream connections sooner (4 s, both of its upstream
  // clients, whatever Keep-Alive hint this server sends), so it never sends on one this
  // server is closing.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const answers = new AnswerSlots();

  // The request chain, in order:
  //   1. method: GET and HEAD only (405 with Allow);
  //   2. /.corral/health → 200 "ok", for any Host; table mode: /.corral/sites (with the key) → the table's version and releases
  //      (`?min=N`: once version N or later is loaded, or after SITES_WAIT_MS);
  //   3. Host → site in the sites served now, read once (unknown host with several sites, or any in table mode → 404);
  //   4. request target → safe segments (decode once, no NUL, no ".." above the root, no dotfiles);
  //   5. the site's `_redirects` rules (read once per release, site-redirects.ts): the first that matches → its 301/302/307/308;
  //   6. segments → a real file inside the root (realpath); a directory → its index.html, or 301 to "dir/";
  //      nothing there, on a site with spa, for a page path that accepts HTML → the site's /index.html (spa-fallback.ts);
  //   7. at most ANSWERS_AT_ONCE file answers at once, the others in turn (answer-slots.ts);
  //   8. validators (304), Range (206/416), else 200 — the body compressed or streamed from disk.
  // Any failure is thrown and answered by respondError (404s use the site's 404.html).
  async function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(method);
    const target = req.url ?? '/';
    const pathname = target.split('?')[0];
    if (pathname === HEALTH_PATH) return sendText(req, res, 200, 'ok');
    if (pathname === SITES_PATH && opts.table && (opts.statusKey === undefined || req.headers[STATUS_KEY_HEADER] === opts.statusKey)) {
      const min = minVersion(target);
      if (min !== undefined && opts.table.whenVersion) await opts.table.whenVersion(min, SITES_WAIT_MS);
      const loaded = source.current;
      return sendText(req, res, 200, JSON.stringify({ version: loaded.version ?? null, sites: loaded.releases ?? {} }), 'application/json; charset=utf-8');
    }
    const served = source.current;
    const site = served.lookup(req.headers.host);
    if (!site) throw new UnknownHostError(req.headers.host ?? '');
    ctx.root = served.roots.get(site);
    if (!ctx.root) throw new UnknownHostError(req.headers.host ?? '');
    const root = ctx.root;
    const asked = parseRequestPath(target);
    const redirect = (await served.redirects.get(site))?.match(asked.segments, asked.trailingSlash, asked.search);
    if (redirect) {
      res.writeHead(redirect.status, { Location: redirect.location, 'Content-Length': 0, 'Cache-Control': REVALIDATE_CACHE_CONTROL });
      return void res.end();
    }
    let vary: string | undefined;
    const resolved = await resolveFile(root, asked).catch((err: unknown) => {
      if (!site.spa || !takesSpaIndex(err, req, asked)) throw err;
      vary = SPA_VARY;
      return resolveFile(root, SITE_INDEX);
    });
    if (resolved.kind === 'redirect') {
      res.writeHead(301, { Location: resolved.location, 'Content-Length': 0 });
      return void res.end();
    }
    const done = await answers.take(); // a few file answers at once (answer-slots.ts)
    res.once('close', done);
    if (res.destroyed) return done(); // the client left while it waited
    await sendFile(req, res, { path: resolved.path, realRoot: await root.real(), name: resolved.name, ...(vary !== undefined ? { vary } : {}) });
  }

  return server;
}

/** `?min=N` of a /.corral/sites request: a whole number, else undefined (answered at once). */
function minVersion(target: string): number | undefined {
  const q = target.indexOf('?');
  if (q < 0) return undefined;
  const raw = new URLSearchParams(target.slice(q + 1)).get('min');
  const n = raw === null || raw === '' ? NaN : Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
