// `corral drill` (admin): the routers clients reach, and faults for an engine, a VS or the
// leader to act out. A fault is a record under keys.drill for its target to watch, on a
// lease that outlives the fault, so nothing of a drill stays in the store.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type DrillFault, type RouterRecord, type VsStatus } from '../../model/index.ts';
import { principalOf, requireAdmin } from '../access.ts';
import { DrillTargetError, NotFoundError } from '../errors.ts';
import { readLeader } from '../leader.ts';
import { listRecords } from '../records.ts';
import { DrillFaultBody } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';
import { byText } from '../../lib/text-order.ts';

/** How long a fault's record outlives the fault itself. */
const RECORD_SLACK_SECONDS = 30;

export const drillRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store }) => {
  app.get('/v1/routers', async (request) => {
    requireAdmin(principalOf(request));
    const routers = await listRecords<RouterRecord>(store, keys.routers);
    return { routers: routers.sort((a, b) => byText(a.id, b.id)) };
  });

  app.post('/v1/drill/faults', { schema: { body: DrillFaultBody } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    const { fault, target, durationMs } = request.body;
    const step: DrillFault = { id: randomUUID(), fault: 'crash', durationMs, at: new Date().toISOString() };
    let key: string;
    let engine: string | undefined;
    let aimed = target;
    switch (fault) {
      case 'kill-vs': {
        const status = (await listRecords<VsStatus>(store, keys.vsStatuses)).find((s) => s.vs === target);
        if (!target || !status) throw new NotFoundError(`virtual server ${target ?? '(none given)'}`);
        engine = status.engine;
        Object.assign(step, { fault: 'kill-vs', vs: target });
        key = keys.drill('engine', engine);
        break;
      }
      case 'crash-engine':
      case 'partition-engine': {
        if (!target || !(await store.get(keys.engine(target)))) throw new NotFoundError(`engine ${target ?? '(none given)'}`);
        engine = target;
        step.fault = fault === 'crash-engine' ? 'crash' : 'partition';
        key = keys.drill('engine', engine);
        break;
      }
      case 'kill-leader': {
        const leader = await readLeader(store);
        if (!leader) throw new DrillTargetError('no controller leads now (a farm on one machine has no election): nothing to kill');
        if (target && target !== leader.id) throw new DrillTargetError(`${target} is not the leader (${leader.id} is)`);
        step.fault = 'freeze';
        key = keys.drill('controller', leader.id);
        aimed = leader.id;
        break;
      }
    }
    const lease = await store.grantLease(Math.ceil(durationMs / 1000) + RECORD_SLACK_SECONDS);
    await store.put(key, JSON.stringify(step), { lease });
    return reply.code(202).send({ id: step.id, fault, target: aimed, ...(engine ? { engine } : {}), durationMs, at: step.at });
  });
};
