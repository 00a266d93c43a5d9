// `corral router --api-port`: a router node's own API, which the farm's controllers call for
// what only this host has — the per-site access lines its router processes write in its
// folder (router-logs.ts over <dir>/logs/router, as `corral up`'s router writes them), for
// `corral logs --source router|all`. Plain HTTP, checked first as the engine's API is
// (node-api.ts, node-api-auth.ts: the farm's admin token only). Routes:
//
//   GET /v1/sites/<site key>/logs?tail=<n>       {lines}: the last n lines of every router process's file, merged by time
//   GET /v1/sites/<site key>/logs?follow=true    NDJSON: {"line": "…"} per new line, {} every heartbeatMs
//
// The site key is the site's storage key (its id; its name for a site without one): the
// controller asks only for the sites its caller may see, by key, so a site re-created under
// a deleted one's name reads none of the old one's lines here either.

import type { RouterLogs } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import { patterns } from '../model/patterns.ts';
import type { Store } from '../store/index.ts';
import { apiBadRequest, apiNotFound } from './errors.ts';
import { pathSegment, startNodeApi, tailCount, type NodeAnswer, type NodeApi } from './node-api.ts';

export interface RouterApiOptions {
  store: Store;
  /** This node's reader of its routers' per-site files (createRouterLogs over its routerLogDir). */
  logs: RouterLogs;
  listen: { port: number; host: string };
  /** The host its URL names when not the listen host (a router on 0.0.0.0: the address it is reached at). */
  advertiseHost?: string;
  log: Logger;
  heartbeatMs?: number;
}

/** A site's storage key: a site name or a site id, both a label (never a path). */
const SITE_KEY = new RegExp(patterns.label);

export function startRouterApi(o: RouterApiOptions): Promise<NodeApi> {
  return startNodeApi({
    role: 'router', store: o.store, listen: o.listen, log: o.log,
    ...(o.advertiseHost !== undefined ? { advertiseHost: o.advertiseHost } : {}), ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
    async answer(req, url): Promise<NodeAnswer> {
      const m = /^\/v1\/sites\/([^/]+)\/logs$/.exec(url.pathname);
      if (req.method !== 'GET' || !m) throw apiNotFound('router', req.method ?? 'GET', url.pathname, 'GET /v1/sites/<site key>/logs');
      const key = pathSegment('router', m[1]!);
      if (!SITE_KEY.test(key)) throw apiBadRequest('router', `"${key}" is no site key (a site's id or name: lowercase letters, digits and dashes)`);
      if (url.searchParams.get('follow') === 'true') return { follow: (onLine) => o.logs.follow(key, onLine) };
      return { json: { lines: await o.logs.tail(key, tailCount('router', url.searchParams.get('tail'))) } };
    },
  });
}
