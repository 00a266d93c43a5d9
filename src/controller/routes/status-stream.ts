// GET /v1/status/stream: the farm view of GET /v1/status as server-sent events (one
// `status` event whenever it changes), scoped by the token exactly like /v1/status.
// Pushed on every change to what the view reads (engines, sites, assignments, VS
// statuses, routes — a VS out of its route is `draining` —, the leader key: store
// watches shared by every client) and re-read every TICK_MS for the figures no record holds (CPU and memory use); an unchanged view is not sent again.
// The console's farm view reads it instead of polling.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type FarmStatus } from '../../model/index.ts';
import type { Watcher } from '../../store/types.ts';
import { principalOf, scopeOf } from '../access.ts';
import { farmView, withUsage } from '../farm-view.ts';
import { readLeader } from '../leader.ts';
import { cappedPools } from '../pool-capped.ts';
import type { RouteDeps } from './deps.ts';

export const TICK_MS = 2_000;
const WATCHED = [keys.engines, keys.sites, keys.assignments, keys.vsStatuses, keys.routes, keys.leader];

export const statusStreamRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, vsUsage }) => {
  const clients = new Set<() => void>(); // each one's push
  const ends = new Set<() => void>();
  // made on the first stream, kept until the controller closes (idle, they cost nothing but the watch)
  let watching: Promise<Watcher[]> | undefined;
  const changed = () => {
    for (const push of clients) push();
  };
  app.addHook('preClose', async () => {
    for (const end of [...ends]) end();
    for (const w of (await watching?.catch(() => [])) ?? []) w.close();
  });

  app.get('/v1/status/stream', async (request, reply) => {
    const scope = scopeOf(principalOf(request));
    watching ??= Promise.all(WATCHED.map((prefix) => store.watch(prefix, changed)));
    await watching.catch((err: unknown) => {
      watching = undefined; // the next stream tries again
      throw err;
    });
    let last = '';
    let ended = false;
    let running: Promise<void> | undefined;
    let again = false;
    const send = async () => {
      const [view, leader] = await Promise.all([farmView(store, scope), scope.customer === undefined ? readLeader(store) : undefined]);
      const capped = await cappedPools(store, view.sites);
      const status: FarmStatus = { ...view, virtualServers: withUsage(view.virtualServers, vsUsage), ...(leader ? { leader } : {}), ...(capped ? { capped } : {}) };
      const json = JSON.stringify(status);
      if (json === last || ended) return;
      last = json;
      reply.raw.write(`event: status\ndata: ${json}\n\n`);
    };
    // one read at a time; changes during a read cause one more read after it
    const push = () => {
      if (running) {
        again = true;
        return;
      }
      running = (async () => {
        do {
          again = false;
          await send().catch((err: unknown) => request.log.warn({ err }, 'status stream: reading the farm failed'));
        } while (again && !ended);
        running = undefined;
      })();
    };
    const timer = setInterval(push, TICK_MS);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      clients.delete(push);
      ends.delete(end);
      reply.raw.end();
    };
    clients.add(push);
    ends.add(end);
    reply.raw.once('close', end);
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': request.id, 'x-accel-buffering': 'no' });
    reply.raw.flushHeaders();
    push();
  });
};
