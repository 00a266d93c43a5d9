// GET /v1/status/stream: the farm view of GET /v1/status as server-sent events (one
// `status` event whenever it changes), scoped by the token exactly like /v1/status.
// The views come from one status feed (status-feed.ts) shared by every client: built from
// a mirror of the farm's records (engines, sites, assignments, VS statuses, routes — a VS
// out of its route is `draining` —, and the leader key), at most once per COALESCE_MS for
// all clients of a scope, and again when the CPU and memory figures no record holds move
// (looked at every TICK_MS); an unchanged view is not sent again. A client that reads
// slower than views come gets the latest view once its socket drains, never a backlog.
// A stream whose token is revoked (or whose customer is deleted) ends (auth.ts endWhenRevoked).
// The console's farm view reads it instead of polling.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from '../../lib/log.ts';
import { principalOf, scopeOf } from '../access.ts';
import { endWhenRevoked } from '../auth.ts';
import { createStatusFeed } from '../status-feed.ts';
import type { RouteDeps } from './deps.ts';

export const statusStreamRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, vsUsage, databases }) => {
  const feed = createStatusFeed({ store, ...(vsUsage ? { vsUsage } : {}), ...(databases ? { databaseSecrets: databases.secrets } : {}), log: app.log as unknown as Logger });
  const ends = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...ends]) end();
    feed.close();
  });

  app.get('/v1/status/stream', async (request, reply) => {
    const scope = scopeOf(principalOf(request));
    const raw = reply.raw;
    let waiting: string | undefined; // the latest view while the socket is full
    const write = (json: string): void => {
      if (raw.writableNeedDrain) {
        waiting = json;
        return;
      }
      raw.write(`event: status\ndata: ${json}\n\n`);
    };
    const drained = (): void => {
      const json = waiting;
      waiting = undefined;
      if (json !== undefined) write(json);
    };
    let unsubscribe = (): void => {};
    const end = (): void => {
      if (!ends.delete(end)) return;
      unsubscribe();
      stopChecking();
      raw.off('drain', drained);
      raw.end();
    };
    ends.add(end);
    const stopChecking = endWhenRevoked(store, request.headers.authorization, end);
    raw.once('close', end);
    raw.on('drain', drained);
    reply.hijack();
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': request.id, 'x-accel-buffering': 'no' });
    raw.flushHeaders();
    unsubscribe = feed.subscribe(scope, write);
  });
};
