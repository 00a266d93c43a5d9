// The web console's static files (console/dist, built by `npm run build:console`, which
// also runs on install) under /console. No token: the console holds no data; it signs in
// against the API with the user's token. Unknown paths without an extension get
// index.html (the console's own views); paths never leave the folder. Fastify has decoded
// the path once; it is not decoded again (`%252e%252e` is a file named `%2e%2e`, not `..`).
// Every answer carries a Content-Security-Policy (scripts and connections to this origin
// only, no framing): the console shows what customers wrote (names, env values, log lines),
// and an injection that got past React's escaping would run nothing from elsewhere.

import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '../errors.ts';
import type { RouteDeps } from './deps.ts';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.map': 'application/json',
};

export const consoleRoutes: FastifyPluginAsyncTypebox<RouteDeps & { consoleDir: string }> = async (app, { consoleDir }) => {
  const root = normalize(consoleDir);
  app.get('/console', { config: { public: true } }, async (_request, reply) => reply.redirect('/console/'));
  app.get('/console/*', { config: { public: true } }, async (request, reply) => {
    const rel = (request.params as { '*': string })['*'] || 'index.html';
    let path = normalize(join(root, rel));
    if (path !== root && !path.startsWith(root + sep)) throw new NotFoundError(`console file ${rel}`);
    if (!(await isFile(path))) {
      if (extname(rel) !== '') throw new NotFoundError(`console file ${rel}`);
      path = join(root, 'index.html');
      if (!(await isFile(path))) throw new NotFoundError('the console is not built: run `npm run build:console`');
    }
    const immutable = rel.startsWith('assets/');
    return reply
      .type(TYPES[extname(path)] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(await readFile(path));
  });
};

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}
