// The router: the farm's HTTP front door. buildRouter() builds it without listening;
// the caller listens on router.server (and, with the tls option, router.tlsServer:
// HTTPS with SNI certificates, HTTP/2 or HTTP/1.1 by ALPN — the same chain below).
//
// Request chain, in this order (one place, here):
//   1. route: Host → site through the current route table (unknown host → 404,
//      never another site's content; a Host that is not host[:port] → 400); before it,
//      whatever site the Host names, CONNECT → 501, hygiene (request-hygiene.ts): two
//      Host headers → 400 (HTTP/2: a host header beside :authority is the Host), and the
//      target (request-target.ts): origin-form ("/path?query") goes on as it is, one
//      character looked at; absolute-form http(s) is made origin-form, its authority the
//      Host the route is looked up by; any other → 400 (the strict parser, and the fronts,
//      refused worse already); an ACME HTTP-01 challenge of that site is answered here
//      (acme-challenges.ts), before limits and redirects;
//   2. limits: the site's header and body sizes and rate (site-limits.ts);
//   3. redirect: a site with httpsRedirect answers plain HTTP with 308 to HTTPS once
//      the Host has a valid certificate (tls-certificates.ts: its site's own, covering
//      it, in date); HSTS: a site with hsts adds Strict-Transport-Security to every
//      answer over HTTPS (hsts.ts), on the same condition;
//      maintenance: a site in maintenance answers 503 with its page (site-pages.ts),
//      but to its allowIps; endpoints: a site with none has the request held
//      (wake-queue.ts) until the route has endpoints, then it goes on to step 4: an
//      `idle` route's (scaled to zero) while a wake is asked for, up to wakeTimeoutMs;
//      another's (its first server starting) up to startHoldMs; then 503;
//   4. forward (proxy-request / proxy-upgrade): hop-by-hop headers dropped,
//      X-Forwarded-*, X-Real-IP, Forwarded and Via set (forward-headers: a client's own
//      are replaced unless it is a trusted proxy), round robin over endpoints not ejected, request body
//      streamed; a failed connection ejects the endpoint and is retried on another
//      when retry-policy allows;
//   5. respond: the upstream response streamed back with hop-by-hop headers dropped;
//      failures mapped to a status in error-response (502/504; cut off if started); a
//      request no server took (every try refused, or no endpoint left) is first held and
//      tried again, up to startHoldMs (recover-holds.ts);
//   6. end: the reply closes (its one 'close' listener, request-ends.ts): the last step
//      of whichever part holds the request, its access record (whoever answered it: an
//      endpoint, or the router at any step above, with the code it answered with), the
//      autoscaler's load of an admitted one, and Router.onFinished (the site stats) for
//      every request of a known site; an unknown Host's request gets the JSON access line only.
//
// The chain talks to two interfaces only: a Front hands it requests (front.ts: the raw
// front or node's, per the rawFront option, on both listeners), and an Upstream carries
// each try to an endpoint (upstream.ts: the raw upstream or undici). The route a request
// matched travels with it (into ErrorContext: its site's error pages).

import { recordSiteBusy, retainSiteSeries, trackConnections } from './request-series.ts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { ClientReply, ClientRequest } from './front/client-exchange.ts';
import { installRawFront } from './front/raw-server.ts';
import { installNodeFront } from './front/node-front.ts';
import type { FrontRequest, RequestChain } from './front/front.ts';
import type { Upstream } from './upstream/upstream.ts';
import { RequestEnds, type FinishListener, type RequestEnd } from './request-ends.ts';
import type { Http2SecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Endpoint, Route } from '../model/index.ts';
import { EndpointSlots } from './policy/endpoint-slots.ts';
import { Balancers } from './policy/balance-policy.ts';
import { Ejections, endpointKey } from './policy/ejections.ts';
import { sendError, sendRawError, type ErrorContext } from './error-response.ts';
import { MethodNotSupportedError, NoEndpointError, WakeQueueFullError, WakeTimeoutError, type RouterError } from './errors.ts';
import { SiteLoad, type LoadReport } from './site-load.ts';
import { WakeQueue } from './policy/wake-queue.ts';
import { RecoverHolds } from './policy/recover-holds.ts';
import { clientSideSettings, routerConfig, type RouterOptions } from './options.ts';
import { proxyRequest, type ProxyDeps } from './proxy-request.ts';
import { endpointGoneError } from './policy/retry-policy.ts';
import { proxyUpgrade } from './proxy-upgrade.ts';
import { hygieneError, noRouteError } from './front/request-hygiene.ts';
import { toOriginForm } from './front/request-target.ts';
import { SiteLimiter } from './policy/site-limits.ts';
import { HealthChecks } from './policy/health-checks.ts';
import { SiteAccessFiles } from './site-access-files.ts';
import { Tunnels } from './upstream/tunnels.ts';
import { createRouteTable, type LiveRouteTable, type RouteDiff } from './route-table.ts';
import { serverLifecycle } from './front/server-lifecycle.ts';
import { RawUpstreams } from './upstream/raw-upstreams.ts';
import { RetryBudget } from './policy/retry-budget.ts';
import { TimeoutStreaks } from './policy/timeout-streaks.ts';
import { SendStalls } from './front/send-stalls.ts';
import { UpstreamPools } from './upstream/upstream-pools.ts';
import { CertificateStore, type SiteCertificate } from './front/tls-certificates.ts';
import { createTlsServer } from './front/tls-server.ts';
import { httpsRedirect, sendHttpsRedirect } from './policy/https-redirect.ts';
import { addHsts, hstsValue } from './policy/hsts.ts';
import { normalizeHost } from './route-table.ts';
import { ACME_HTTP01_PREFIX, http01Answer, sendHttp01Answer } from './policy/acme-challenges.ts';
import { maintenanceReply, rawReply, sendReply } from './policy/site-pages.ts';
import { TrustedProxies } from './policy/trusted-proxies.ts';
import type { AddressInfo } from 'node:net';

export interface Router {
  /** The listener, not yet listening. */
  readonly server: Server;
  /** The HTTPS listener (HTTP/2 and HTTP/1.1 by ALPN), not yet listening; only with the `tls` option. */
  readonly tlsServer: Http2SecureServer | undefined;
  /** Replace the whole route table at once (the first table; tests). */
  setRoutes(routes: readonly Route[]): void;
  /** Put these sites' routes and remove these sites; every other site is left as it is (route-table.ts). */
  updateRoutes(diff: RouteDiff): void;
  /**
   * These endpoints are known dead (their VS status or engine registration vanished):
   * every try in flight to them fails now — its upstream socket destroyed — and is
   * retried on another endpoint when replayable, else answered 502 (and the endpoint is
   * ejected, as for any broken connection); their tunnels are cut. Call after setRoutes
   * without them.
   */
  abandonEndpoints(endpoints: readonly Endpoint[]): void;
  /** Replace every site certificate at once (SNI: exact name, then wildcard, else the default). */
  setCertificates(certs: readonly SiteCertificate[]): void;
  /**
   * Per-site load since the last call (site-load.ts): requests in flight, open tunnels and
   * held requests, time-weighted; the autoscaler's measure once published (publish-load.ts).
   */
  takeLoad(): LoadReport;
  /** Requests of this site waiting at this router for one of its servers to end a request (endpointMaxInFlight). */
  busyWaiting(site: string): number;
  /** Requests of site held because no server took them, waiting to be tried again (recover-holds.ts). */
  recovering(site: string): number;
  /** Who asks for an idle site to be woken when a request for it is held. */
  onWake(listener: (site: string) => void): void;
  /** Hear each request of a known site end (the site stats, site-stats.ts); returns the function that stops it. */
  onFinished(listener: FinishListener): () => void;
  /** Stop accepting, let open requests finish (up to drainTimeoutMs), release pools. Safe twice. */
  close(): Promise<void>;
  /** Cut every connection and upstream request now. Safe twice. */
  destroy(): Promise<void>;
}

export function buildRouter(opts: RouterOptions = {}): Router {
  const config = routerConfig(opts);
  const log = config.log;
  const ejections = new Ejections(config.ejectMs);
  const health = new HealthChecks(ejections, log);
  const tunnels = new Tunnels(config.tunnelGraceMs, config.drainStopGraceMs);
  // a request goes through the first upstream that carries it (upstream.ts): raw, then undici
  const undici = new UpstreamPools(config);
  const upstreams: readonly Upstream[] = config.rawUpstream ? [new RawUpstreams({ ...config, keepAliveMs: 4_000 }), undici] : [undici];
  // kept per site (updateRoutes): the table, each site's route, each routed endpoint's use count and drain timeout
  let table = createRouteTable();
  let bySite = new Map<string, Route>();
  let sites = new Set<string>();
  const withHealth = new Map<string, Route>(); // the routes health checks read (health-checks.ts)
  let endpointUse = new Map<string, number>();
  let live = new Set<string>();
  let drainMs = new Map<string, number>();
  const load = new SiteLoad();
  const wakes = new WakeQueue(config.wakeQueue, config.wakeTimeoutMs);
  const recoverHolds = new RecoverHolds(config.wakeQueue);
  const limiter = new SiteLimiter();
  const trust = new TrustedProxies(config.trustedProxies);
  const siteFiles = config.siteLogDir ? new SiteAccessFiles(config.siteLogDir, config.siteLogName, log) : undefined;
  const ends = new RequestEnds(load, { accessLog: config.accessLog, metrics: config.metrics, siteFiles });
  const balancer = new Balancers(ejections);
  const deps: ProxyDeps = { lookup: (host) => table.lookup(host), balancer, ejections, upstreams, tunnels, trust, config, log, retryBudget: new RetryBudget(), timeoutStreaks: new TimeoutStreaks(), sendStalls: new SendStalls(config.clientSendTimeoutMs), slots: new EndpointSlots(balancer.inFlight, config.wakeTimeoutMs, config.busyQueue, config.metrics ? (site, by) => recordSiteBusy(site, { waiting: by }) : undefined), recoverHolds };

  // Strict parsing is the first line against request smuggling (see request-hygiene.test.ts):
  // never the lenient parser, whatever flags the process was started with.
  // Slow clients (slowloris) cost a socket, never a worker: headers must arrive within
  // clientHeadersTimeoutMs and the whole request within clientRequestTimeoutMs, checked
  // every connectionsCheckingInterval.
  const server = createServer({
    noDelay: true,
    ...clientSideSettings(config),
    connectionsCheckingInterval: Math.max(50, Math.min(config.clientHeadersTimeoutMs, 30_000) / 4),
  });
  // Every front hands its requests to this chain: HTTP and HTTPS (HTTP/1.1 and HTTP/2) alike.
  const chain: RequestChain = { request: onRequest, upgrade: onUpgrade };
  // Bodiless HTTP/1.1 requests skip node:http (raw-server.ts); the rest is handed to it.
  const front = config.rawFront ? installRawFront(server, chain, config) : installNodeFront(server, chain);
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  if (config.metrics) trackConnections(server);

  function onRequest(req: FrontRequest, res: ClientReply): void {
    // HTTP/2's CONNECT (node-front.ts): its :authority names a tunnel's far end, no site's page
    if (req.method === 'CONNECT') return sendError(res, new MethodNotSupportedError('CONNECT'), errorContext(req, undefined, ends.unrouted(req, res)));
    // whatever site the Host names (request-hygiene.ts); a target not origin-form: made so, or refused (request-target.ts)
    const faulty = hygieneError(req, config.maxRequestHeaders) ?? (req.url?.[0] === '/' ? undefined : toOriginForm(req));
    if (req.httpVersionMajor === 2) req.headers.host ??= req.headers[':authority'] as string | undefined; // a host header beside it wins (request-hygiene.ts)
    const route = table.lookup(req.headers.host);
    if (route === undefined) return sendError(res, faulty ?? noRouteError(req.headers.host), errorContext(req, undefined, ends.unrouted(req, res)));
    const end = ends.begin(route.site, req, res); // chain step 6
    if (faulty) return sendError(res, faulty, errorContext(req, route, end));
    if (req.url?.startsWith(ACME_HTTP01_PREFIX)) {
      const answer = http01Answer(route, req.url);
      if (answer !== undefined) return (end.answered('ROUTER_ACME_CHALLENGE'), sendHttp01Answer(req, res, answer));
    }
    const refused = refusal(req, route);
    if (refused) return sendError(res, refused, errorContext(req, route, end));
    end.countLoad(); // admitted: the site's load (the autoscaler's) until its end
    if ((route.httpsRedirect || route.hsts) && httpsPolicy(req, res, route, end)) return;
    const closed = route.maintenance && maintenanceReply(route, trust.clientOf(req), req.headers.host);
    if (closed) return (end.answered('ROUTER_MAINTENANCE'), sendReply(res, closed));
    if (route.endpoints.length === 0) {
      if (route.idle || config.startHoldMs > 0) return holdRequest(req, res, route, end);
      return sendError(res, new NoEndpointError(route.site), errorContext(req, route, end));
    }
    proxyRequest(deps, req, res, route, end);
  }

  /**
   * A request for a site without an endpoint waits for one (chain step 3), then is forwarded:
   * an idle site's for its wake (asked for), a starting site's for startHoldMs.
   */
  function holdRequest(req: FrontRequest, res: ClientReply, route: Route, end: RequestEnd): void {
    const wait = holdTerms(route);
    const drop = wakes.hold(route.site, {
      resume: (woken) => {
        end.step = undefined;
        if (!res.destroyed) proxyRequest(deps, req, res, woken, end);
      },
      fail: (why) => {
        end.step = undefined;
        if (why !== 'timeout') res.destroy();
        else sendError(res, wait.timedOut(), errorContext(req, route, end));
      },
    }, wait.options);
    if (drop === false) return sendError(res, wait.full(), errorContext(req, route, end));
    end.held(); // the access record says for how long
    end.step = drop; // the client left: it leaves the queue
  }

  /**
   * How a request or an upgrade without an endpoint waits (chain step 3): an idle site's for
   * its wake (asked for), a starting site's for startHoldMs without one; and the answer when
   * the wait runs out or the queue is full.
   */
  function holdTerms(route: Route) {
    const since = Date.now();
    const site = route.site;
    if (route.idle !== true) return { options: { wake: false, maxWaitMs: config.startHoldMs }, timedOut: () => new NoEndpointError(site), full: () => new NoEndpointError(site) };
    return { options: {}, timedOut: () => new WakeTimeoutError(site, Date.now() - since), full: () => new WakeQueueFullError(site, wakes.waiting(site)) };
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignore); // node drops its own socket error handler on upgrade; a reset client is not an error here
    if (req.method === 'CONNECT') return sendRawError(socket, new MethodNotSupportedError('CONNECT'), errorContext(req, undefined)); // HTTP/1 (node-front.ts)
    const faulty = hygieneError(req, config.maxRequestHeaders) ?? (req.url?.[0] === '/' ? undefined : toOriginForm(req));
    if (faulty) return sendRawError(socket, faulty, errorContext(req, undefined));
    const route = table.lookup(req.headers.host);
    if (route === undefined) return sendRawError(socket, noRouteError(req.headers.host), errorContext(req, undefined));
    const refused = refusal(req, route);
    if (refused) return sendRawError(socket, refused, errorContext(req, route));
    const httpsPort = route.httpsRedirect && !('encrypted' in socket) ? redirectPort(req) : undefined;
    if (httpsPort !== undefined) return void socket.end(rawReply(httpsRedirect(req, httpsPort), 'Permanent Redirect'));
    // an open tunnel (WebSocket) counts as load for as long as it lasts: it keeps an idle site awake
    ends.tunnel(route.site, socket);
    const closed = route.maintenance && maintenanceReply(route, trust.clientOf(req), req.headers.host);
    if (closed) return void socket.end(rawReply(closed, 'Service Unavailable'));
    if (route.endpoints.length === 0) {
      if (route.idle || config.startHoldMs > 0) return holdUpgrade(req, socket, head, route);
      return sendRawError(socket, new NoEndpointError(route.site), errorContext(req, route));
    }
    proxyUpgrade(deps, req, socket, head, route);
  }

  /** An upgrade for a site without an endpoint waits as a request does (holdRequest). */
  function holdUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route): void {
    const wait = holdTerms(route);
    const drop = wakes.hold(route.site, {
      resume: (woken) => {
        socket.off('close', onGone);
        if (!socket.destroyed) proxyUpgrade(deps, req, socket, head, woken);
      },
      fail: (why) => {
        socket.off('close', onGone);
        if (why !== 'timeout') socket.destroy();
        else sendRawError(socket, wait.timedOut(), errorContext(req, route));
      },
    }, wait.options);
    if (drop === false) return sendRawError(socket, wait.full(), errorContext(req, route));
    const onGone = () => drop();
    socket.once('close', onGone);
  }

  const certs = new CertificateStore(log);
  const tls = config.tls ? createTlsServer(config, config.tls, certs, chain, deps.sendStalls) : undefined;
  if (tls && config.metrics) trackConnections(tls.server as unknown as Parameters<typeof trackConnections>[0]);

  /**
   * Chain step 3's HTTPS policy, once the Host has a valid certificate: over HTTPS, HSTS
   * on the answer; over plain HTTP, the redirect (true: answered).
   */
  function httpsPolicy(req: ClientRequest, res: ClientReply, route: Route, end: RequestEnd): boolean {
    if ('encrypted' in req.socket) {
      if (route.hsts && certs.validFor(hostName(req))) addHsts(res, hstsValue(route.hsts));
      return false;
    }
    const port = route.httpsRedirect ? redirectPort(req) : undefined;
    if (port === undefined) return false;
    end.answered('ROUTER_HTTPS_REDIRECT');
    sendHttpsRedirect(req, res, port);
    return true;
  }

  /** The HTTPS port a plain-HTTP request for this Host is sent to: only while HTTPS listens with a valid certificate for it. */
  function redirectPort(req: Pick<ClientRequest, 'headers'>): number | undefined {
    if (!tls?.server.listening || !certs.validFor(hostName(req))) return undefined;
    return (tls.server.address() as AddressInfo).port;
  }

  /** Chain step 2 for the route step 1 found: the error to answer with, if any (step 3, endpoints, is the caller's: a redirect needs none). */
  function refusal(req: ClientRequest, route: Route): RouterError | undefined {
    return limiter.check(route, req);
  }

  /** The request's context for an error answer: route, when the Host matched one, for its site's error pages; end, for its access record. */
  function errorContext(req: ClientRequest, route: Route | undefined, end?: RequestEnd): ErrorContext {
    return { log, method: req.method, url: req.url, host: req.headers.host, route, end };
  }

  /** The whole table: every site not in routes is removed; counted afresh. */
  function setRoutes(routes: readonly Route[]): void {
    const before = bySite;
    const wasLive = live;
    bySite = new Map(routes.map((r) => [r.site, r]));
    sites = new Set(bySite.keys());
    endpointUse = new Map();
    live = new Set();
    drainMs = new Map();
    withHealth.clear();
    for (const r of bySite.values()) use(r);
    const fresh = createRouteTable();
    fresh.update({ put: [...bySite.values()], remove: [] });
    table = fresh;
    const gone = new Set([...wasLive].filter((key) => !live.has(key)));
    certs.setRoutes(bySite);
    const removed = [...before.keys()].filter((site) => !sites.has(site)).length;
    afterChange(gone, removed > 0, true, table, { put: bySite.size, removed });
  }

  /**
   * Per site: the table changes these sites' names only, and per-endpoint state (pools,
   * ejections, health, tunnels) and per-site state (balancers, limits, budgets) of every
   * other site stays as it is; what a removed site or a dropped endpoint held is released.
   */
  function updateRoutes(diff: RouteDiff): void {
    const gone = new Set<string>(); // endpoints whose last route left
    const touched: Route[] = [...diff.put]; // the routes put, and those they replace or that are removed
    const unuse = (r: Route | undefined) => {
      if (r) touched.push(r);
      if (r) withHealth.delete(r.site);
      for (const e of r?.endpoints ?? []) {
        const key = endpointKey(e);
        const n = (endpointUse.get(key) ?? 0) - 1;
        if (n > 0) endpointUse.set(key, n);
        else {
          endpointUse.delete(key);
          live.delete(key);
          gone.add(key);
        }
      }
    };
    const removed = diff.remove.filter((site) => bySite.has(site));
    for (const site of removed) {
      unuse(bySite.get(site));
      bySite.delete(site);
      sites.delete(site);
    }
    for (const r of diff.put) {
      unuse(bySite.get(r.site));
      bySite.set(r.site, r);
      sites.add(r.site);
      use(r);
      for (const e of r.endpoints) gone.delete(endpointKey(e));
    }
    for (const key of gone) drainMs.delete(key);
    table.update({ put: diff.put, remove: removed });
    certs.updateRoutes(bySite, touched);
    afterChange(gone, removed.length > 0, touched.some((r) => r.health !== undefined), table.problemsOf(new Set(diff.put.map((r) => r.site))), { put: diff.put.length, removed: removed.length });
  }

  /** Count a route's endpoints as routed, with its drain timeout. */
  function use(r: Route): void {
    siteFiles?.route(r);
    if (r.health !== undefined) withHealth.set(r.site, r);
    for (const e of r.endpoints) {
      const key = endpointKey(e);
      endpointUse.set(key, (endpointUse.get(key) ?? 0) + 1);
      live.add(key);
      if (r.drainTimeoutMs === undefined) drainMs.delete(key);
      else drainMs.set(key, r.drainTimeoutMs);
    }
  }

  /**
   * After the table changed: release what dropped endpoints and removed sites held; log.
   * Costs what changed, not the table's size: health checks are set again only when a
   * route with checks changed, and only from the routes that have them.
   */
  function afterChange(gone: ReadonlySet<string>, sitesRemoved: boolean, healthChanged: boolean, problems: Pick<LiveRouteTable, 'conflicts' | 'invalid'>, counts: { put: number; removed: number }): void {
    wakes.release((site) => bySite.get(site));
    if (gone.size > 0) {
      for (const u of upstreams) u.retain(live);
      ejections.retain(live);
      deps.timeoutStreaks.retain(live);
    }
    if (gone.size > 0 || counts.put > 0) tunnels.retain(live, drainMs);
    if (healthChanged) health.setRoutes([...withHealth.values()]); // keeps the state of every endpoint still checked
    if (sitesRemoved) {
      retainSiteSeries(sites);
      deps.balancer.retain(sites);
      deps.retryBudget.retain(sites);
      limiter.retain(sites);
      siteFiles?.retain(sites);
    }
    for (const c of problems.conflicts) log.warn({ event: 'routes.conflict', ...c }, 'domain claimed by two sites');
    for (const i of problems.invalid) log.warn({ event: 'routes.invalid-domain', ...i }, 'domain cannot be routed');
    log.info({ event: 'routes.updated', sites: bySite.size, domains: table.size, endpoints: live.size, ...counts }, 'routes updated');
  }

  function abandonEndpoints(endpoints: readonly Endpoint[]): void {
    for (const ep of endpoints) {
      const key = endpointKey(ep);
      const err = endpointGoneError(key);
      for (const u of upstreams) u.abandon(key, err);
      tunnels.cut(key);
    }
    log.info({ event: 'endpoints.abandoned', endpoints: endpoints.map((ep) => ({ vs: ep.vs, endpoint: endpointKey(ep) })) }, 'in-flight requests to gone endpoints cut');
  }

  const upstream = {
    close: () => (health.close(), deps.retryBudget.close(), Promise.all(upstreams.map((u) => u.close())).then(() => siteFiles?.close())),
    destroy: () => (health.close(), deps.retryBudget.close(), wakes.destroy(), recoverHolds.destroy(), tunnels.destroy(), Promise.all(upstreams.map((u) => u.destroy())).then(() => siteFiles?.close())),
  };
  const lifecycle = serverLifecycle(
    server,
    config.drainTimeoutMs,
    {
      close: async () => (await tls?.lifecycle.close(), upstream.close()),
      destroy: async () => (await tls?.lifecycle.destroy(), upstream.destroy()),
    },
    front,
  );
  return {
    server,
    tlsServer: tls?.server,
    setRoutes,
    updateRoutes,
    abandonEndpoints,
    setCertificates: (list) => certs.setCertificates(list),
    takeLoad: () => load.take(),
    busyWaiting: (site) => deps.slots.waiting(site),
    recovering: (site) => recoverHolds.waiting(site),
    onWake: (listener) => wakes.onWake(listener),
    onFinished: (listener) => ends.onFinished(listener),
    // held requests (idle sites) get their 503 now rather than wait out the drain
    close: async () => (void tls?.lifecycle.close(), wakes.destroy('timeout'), recoverHolds.destroy('timeout'), lifecycle.close()),
    destroy: async () => (void tls?.lifecycle.destroy(), lifecycle.destroy()),
  };
}

function ignore(): void {}

/** The Host without port or trailing dot, lower case ('' when unusable). */
function hostName(req: Pick<ClientRequest, 'headers'>): string {
  return normalizeHost(req.headers.host ?? '') ?? '';
}
