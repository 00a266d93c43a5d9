// GET /v1/sites/:name/logs?tail=100&follow=false&source=app: a site's logs as text, each
// line prefixed `<vs> | ` (the VSs' output, source=app) or `router | ` (the router's
// access lines for the site, source=router); all merges both in time order. The default
// is app, what the API served before (`corral logs` asks for all).
// `tail` counts lines in total, not per VS. With follow the response stays open,
// streaming new lines (VSs that start later included), until the client goes away, the
// controller closes, or the token it was opened with stops working (auth.ts endWhenRevoked). A pooled site has no VS of its own: its lines are those of
// the customer's pool VSs that hold it (one web runtime for all the customer's static
// sites on an engine), and a first line `corral | …` says so.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseStamped } from '../../lib/stamped-line.ts';
import { principalOf, scopeOf, type Scope } from '../access.ts';
import { endWhenRevoked } from '../auth.ts';
import { NotImplementedError } from '../errors.ts';
import { farmView, siteViews } from '../farm-view.ts';
import { isPooled } from '../plan-pool.ts';
import { createLogStream, prefixLine } from '../log-stream.ts';
import { LogsQuery, SiteParams } from '../schemas.ts';
import { siteStorageKey, type Site, type VirtualServerView } from '../../model/index.ts';
import type { RouteDeps } from './deps.ts';
import type { EngineLogs } from '../options.ts';

const DEFAULT_TAIL = 100;
/**
 * A site's VSs retired since (a deploy, a rollback, a scale-down, a restart of the farm)
 * whose last lines are read too, the most recently written first: their output is what
 * explains a deploy that went wrong. Only those of this very site (its id), never a
 * namesake's; not followed, since they write no more.
 */
const RETIRED_SOURCES = 4;
const TEXT = 'text/plain; charset=utf-8';
/** How often a followed site is checked for VSs that started since. */
const RESCAN_MS = 1_000;

interface Entry {
  time: string;
  who: string;
  text: string;
}

export const logRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access, engineLogs, routerLogs }) => {
  /** Ends every followed stream: closing the controller must not wait for log clients. */
  const following = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...following]) end();
  });

  const siteVss = async (scope: Scope, site: Site) => siteViews(await farmView(store, scope), site);
  const vsNames = async (scope: Scope, site: Site) => (await siteVss(scope, site)).map((v) => v.vs);

  app.get('/v1/sites/:name/logs', { schema: { params: SiteParams, querystring: LogsQuery } }, async (request, reply) => {
    const p = principalOf(request);
    const { value: site } = await access.loadSiteFor(p, request.params.name);
    const source = request.query.source ?? 'app';
    const app = source !== 'router' ? engineLogs : undefined;
    const router = source !== 'app' ? routerLogs : undefined;
    if (source === 'router' && !routerLogs) throw new NotImplementedError('router logs are not available: this controller was started without a router log reader');
    if (source !== 'router' && !engineLogs) throw new NotImplementedError('logs are not available: this controller was started without an engine log reader');
    const views = app ? await siteVss(scopeOf(p), site) : [];
    const names = views.map((v) => v.vs);
    // a pooled site's lines are its pool VSs' (the customer's own): say so first
    const note = app ? poolNote(site, views) : undefined; // about the app's lines: none with source=router
    const tail = request.query.tail ?? DEFAULT_TAIL;

    // the last `tail` lines of every source, merged by time (stable: a source's own order is kept), the last `tail` of those
    const entries: Entry[] = [];
    if (app) for (const vs of [...names, ...(await retiredVss(app, site, names))]) for (const line of await app.tail(vs, tail)) entries.push({ ...parseStamped(line), who: vs });
    if (router) for (const line of await router.tail(siteStorageKey(site), tail)) entries.push({ ...parseStamped(line), who: 'router' });
    const merged = entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    // timestamps: the time a line was written goes first (a line without one, none)
    const stamped = request.query.timestamps === true;
    const label = (who: string, time: string) => (stamped && time !== '' ? `${time} ${who}` : who);
    const head = (note ? prefixLine('corral', note) : '') + merged.slice(Math.max(0, merged.length - tail)).map((e) => prefixLine(label(e.who, e.time), e.text)).join('');
    if (request.query.follow !== true) return reply.type(TEXT).send(head);

    const out = createLogStream();
    out.stream.write(head);
    const stops: (() => void)[] = [];
    const followed = new Set<string>();
    const followVs = (vs: string, fromStart: boolean) => {
      if (!app || followed.has(vs)) return;
      followed.add(vs);
      stops.push(app.follow(vs, (line) => {
        const e = parseStamped(line);
        out.write(label(vs, e.time), e.text);
      }, { fromStart }));
    };
    for (const vs of names) followVs(vs, false);
    if (router) stops.push(router.follow(siteStorageKey(site), (line) => {
      const e = parseStamped(line);
      out.write(label('router', e.time), e.text);
    }));
    // a VS that starts later (a scale up, a deploy) is followed from its first line
    const rescan = app ? setInterval(() => void vsNames(scopeOf(p), site).then((now) => now.forEach((vs) => followVs(vs, true)), () => {}), RESCAN_MS) : undefined;
    const end = () => {
      if (!following.delete(end)) return;
      clearInterval(rescan);
      stopChecking();
      for (const stop of stops) stop();
      out.end();
    };
    following.add(end);
    const stopChecking = endWhenRevoked(store, request.headers.authorization, end);
    reply.raw.once('close', end);
    // Headers go out now, not with the first line: a quiet site must not leave the client waiting.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': TEXT, 'cache-control': 'no-store', 'x-request-id': request.id });
    reply.raw.flushHeaders();
    out.stream.pipe(reply.raw);
  });
};

/** The site's retired VSs with logs on this engine (RETIRED_SOURCES at most, the newest first); none for a site without an id. */
async function retiredVss(logs: EngineLogs, site: Site, current: readonly string[]): Promise<string[]> {
  if (site.id === undefined) return [];
  const mine = (await logs.listVsLogs(site.name)).filter((l) => l.siteId === site.id && !current.includes(l.vs));
  return mine.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0)).slice(0, RETIRED_SOURCES).map((l) => l.vs);
}

/** The first line for a pooled site: whose lines follow (its pool VSs'), or that none holds it now. */
function poolNote(site: Site, views: VirtualServerView[]): string | undefined {
  const pools = views.filter((v) => v.pool);
  if (pools.length === 0) return isPooled(site) && views.length === 0 ? `${site.name} is pooled and no pool VS holds it now (scaled to zero, or not placed yet)` : undefined;
  const which = pools.map((v) => `${v.vs} (engine ${v.engine})`).join(', ');
  return `${site.name} is pooled: the lines below are those of pool ${pools.length === 1 ? 'VS' : 'VSs'} ${which}, serving every pooled static site of ${site.customer} there`;
}
