// GET /v1/sites/:name/logs?tail=100&follow=false: the site's virtual servers' output as
// text, each line prefixed `<vs> | `. With follow the response stays open, streaming new
// lines, until the client goes away or the controller closes.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, scopeOf } from '../access.ts';
import { NotImplementedError } from '../errors.ts';
import { farmView, siteViews } from '../farm-view.ts';
import { createLogStream, prefixLine } from '../log-stream.ts';
import { LogsQuery, SiteParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

const DEFAULT_TAIL = 100;
const TEXT = 'text/plain; charset=utf-8';

export const logRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access, engineLogs }) => {
  /** Ends every followed stream: closing the controller must not wait for log clients. */
  const following = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...following]) end();
  });

  app.get('/v1/sites/:name/logs', { schema: { params: SiteParams, querystring: LogsQuery } }, async (request, reply) => {
    const p = principalOf(request);
    const { value: site } = await access.loadSiteFor(p, request.params.name);
    if (!engineLogs) throw new NotImplementedError('logs are not available: this controller was started without an engine log reader');
    const names = siteViews(await farmView(store, scopeOf(p)), site).map((v) => v.vs);
    const tail = request.query.tail ?? DEFAULT_TAIL;
    const head = (await Promise.all(names.map(async (vs) => (await engineLogs.tail(vs, tail)).map((line) => prefixLine(vs, line))))).flat().join('');
    if (request.query.follow !== true) return reply.type(TEXT).send(head);

    const out = createLogStream();
    out.stream.write(head);
    const stops = names.map((vs) => engineLogs.follow(vs, (line) => out.write(vs, line)));
    const end = () => {
      if (!following.delete(end)) return;
      for (const stop of stops) stop();
      out.end();
    };
    following.add(end);
    reply.raw.once('close', end);
    // Headers go out now, not with the first line: a quiet site must not leave the client waiting.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': TEXT, 'cache-control': 'no-store', 'x-request-id': request.id });
    reply.raw.flushHeaders();
    out.stream.pipe(reply.raw);
  });
};
