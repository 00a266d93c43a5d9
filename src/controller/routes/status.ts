// Status: one site's rollout state, the virtual servers, the farm at a glance (engines: routes/engines.ts).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FarmStatus, SiteStatus } from '../../model/index.ts';
import { principalOf, scopeOf } from '../access.ts';
import { farmStatusView, farmView, routeReleases, siteView, withUsage } from '../farm-view.ts';
import { siteRollout, unplacedView } from '../site-rollout.ts';
import { readLeader } from '../leader.ts';
import { SiteParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';
import { keys, type ScaleRecord, type UnplacedRecord } from '../../model/index.ts';
import { readRecord } from '../records.ts';
import { desiredReplicas } from '../autoscale-rule.ts';
import { isPooled, poolReplicas } from '../plan-pool.ts';
import { takingWork } from '../pool-capped.ts';

export const statusRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access, vsUsage, databases }) => {
  app.get('/v1/sites/:name/status', { schema: { params: SiteParams } }, async (request): Promise<SiteStatus> => {
    const p = principalOf(request);
    const { value: site } = await access.loadSiteFor(p, request.params.name);
    const [view, unplaced] = await Promise.all([siteView(store, site, databases?.secrets), readRecord<UnplacedRecord>(store, keys.siteUnplaced(site.name))]);
    const ready = view.virtualServers.filter((v) => v.release === site.release && v.state === 'ready').length;
    // a site that autoscales: the autoscaler's count (what a rollout waits for), not its stored `replicas`
    const wanted = site.autoscale ? desiredReplicas(site, (await readRecord<ScaleRecord>(store, keys.scale(site.name)))?.value) : site.replicas;
    // a pooled site has one replica per engine at most (plan-pool.ts)
    const replicas = isPooled(site) ? poolReplicas({ replicas: wanted }, await takingWork(store)) : wanted;
    const { virtualServers, rollout } = siteRollout(site, withUsage(view.virtualServers, vsUsage), view.assignments, view.route, replicas, view.login);
    const waiting = unplacedView(site, unplaced?.value);
    return { site, release: site.release, replicas, ready, serving: routeReleases(view.route), virtualServers, rollout, ...(waiting ? { unplaced: waiting } : {}) };
  });

  app.get('/v1/vs', async (request) => {
    const { virtualServers } = await farmView(store, scopeOf(principalOf(request)), databases?.secrets);
    return { virtualServers: withUsage(virtualServers, vsUsage) };
  });

  app.get('/v1/status', async (request): Promise<FarmStatus> => {
    const scope = scopeOf(principalOf(request));
    // The leading controller, for admins as the engines are (a farm on etcd; none while an election runs, none on `corral up`).
    const [view, leader] = await Promise.all([farmStatusView(store, scope, databases?.secrets), scope.customer === undefined ? readLeader(store) : undefined]);
    const { engines, sites, virtualServers, capped, rollouts } = view;
    // key order as the status stream writes it (status-feed.ts)
    return { engines, sites, virtualServers: withUsage(virtualServers, vsUsage), ...(leader ? { leader } : {}), ...(capped ? { capped } : {}), ...(rollouts ? { rollouts } : {}) };
  });
};

