// The audit trail: every state-changing API call (POST, PUT, PATCH, DELETE) is recorded
// after it is answered — who (principal), what (action), to what (target), the result
// and the time. The customer a call concerns is resolved before the handler runs, so a
// deleted site's deletion is still attributed to its owner; a call by a customer's token
// always names that customer, also when it was refused before then (a body that fails
// validation), so the customer sees it and it counts against that customer's share of
// the event log (event-log.ts).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keys, type Assignment, type DatabaseRecord, type Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { EventLog } from './event-log.ts';
import type { Principal } from './principal.ts';
import { readRecord } from './records.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Route (method + url pattern) → audit action name. Unlisted routes use "METHOD url". */
const ACTIONS: Record<string, string> = {
  'POST /v1/customers': 'customer.create',
  'POST /v1/customers/:id/tokens': 'token.create',
  'DELETE /v1/customers/:id': 'customer.delete',
  'POST /v1/vs/:name/exec': 'vs.exec',
  'POST /v1/sites': 'site.create',
  'PATCH /v1/sites/:name': 'site.update',
  'DELETE /v1/sites/:name': 'site.delete',
  'POST /v1/sites/:name/scale': 'site.scale',
  'POST /v1/sites/:name/releases': 'release.upload',
  'POST /v1/sites/:name/rollback': 'site.rollback',
  'POST /v1/sites/:name/releases/:id/activate': 'release.activate',
  'POST /v1/databases': 'database.create',
  'PATCH /v1/databases/:name': 'database.update',
  'DELETE /v1/databases/:name': 'database.delete',
  'POST /v1/databases/:name/rotate': 'database.rotate',
  'POST /v1/databases/:name/backups': 'database.backup',
  'POST /v1/databases/:name/restore': 'database.restore',
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The customer the call concerns, resolved before the handler (audit.ts). */
    auditCustomer: string | undefined;
    /** For a call on a virtual server (/v1/vs/:name/…): the site it serves, if it exists. */
    auditVsSite: string | undefined;
  }
}

export function registerAudit(app: FastifyInstance, store: Store, events: EventLog): void {
  app.decorateRequest('auditCustomer', undefined);
  app.decorateRequest('auditVsSite', undefined);
  app.addHook('preHandler', async (request) => {
    if (!MUTATING.has(request.method)) return;
    if (isVsRoute(request)) {
      const vs = await vsAssignment(store, request).catch(() => undefined);
      request.auditVsSite = vs?.site;
      request.auditCustomer = vs?.customer;
      return;
    }
    request.auditCustomer = await concernedCustomer(store, request).catch(() => undefined);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method) || request.routeOptions.url === undefined) return;
    const route = `${request.method} ${request.routeOptions.url}`;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const body = (request.body && typeof request.body === 'object' && !isStream(request.body) ? request.body : {}) as Record<string, unknown>;
    const vsRoute = isVsRoute(request);
    const dbRoute = route.includes(' /v1/databases');
    const site = dbRoute ? undefined : vsRoute ? request.auditVsSite : params.name ?? (route === 'POST /v1/sites' ? str(body.name) : undefined);
    const target = dbRoute ? `database/${params.name ?? str(body.name) ?? ''}` : vsRoute ? `vs/${params.name ?? '?'}` : site !== undefined ? `site/${site}` : route.includes(' /v1/customers') ? `customer/${params.id ?? str(body.name) ?? ''}` : undefined;
    const ok = reply.statusCode < 400;
    const customer = request.principal?.role === 'customer' ? request.principal.customer : request.auditCustomer;
    events.record({
      type: 'audit',
      action: ACTIONS[route] ?? route,
      principal: principalName(request.principal),
      ...(target !== undefined ? { target } : {}),
      ...(site !== undefined ? { site } : {}),
      ...(customer !== undefined ? { customer } : {}),
      result: ok ? 'ok' : 'error',
      status: reply.statusCode,
      ...(route === 'POST /v1/sites/:name/scale' && ok ? { message: `replicas ${String(body.replicas)}` } : {}),
    }).catch((err: unknown) => request.log.error({ err, event: 'audit.write-failed' }, 'could not record the audit event'));
  });
}

export function principalName(p: Principal | null): string {
  if (!p) return 'anonymous';
  return p.role === 'customer' ? `customer:${p.customer}:${p.tokenName}` : `${p.role}:${p.tokenName}`;
}

/** A customer acts on its own things; an admin's call concerns the site's or customer's owner. */
async function concernedCustomer(store: Store, request: FastifyRequest): Promise<string | undefined> {
  const p = request.principal;
  if (p?.role === 'customer') return p.customer;
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const body = (request.body && typeof request.body === 'object' && !isStream(request.body) ? request.body : {}) as Record<string, unknown>;
  if (request.url.startsWith('/v1/customers')) return params.id ?? str(body.name);
  if (request.url.startsWith('/v1/databases/') && params.name !== undefined) return (await readRecord<DatabaseRecord>(store, keys.database(params.name)))?.value.customer;
  if (params.name !== undefined) return (await readRecord<Site>(store, keys.site(params.name)))?.value.customer;
  return str(body.customer);
}

/** A route on one virtual server (its :name is the VS, not a site). */
function isVsRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/v1/vs/:name') === true;
}

async function vsAssignment(store: Store, request: FastifyRequest): Promise<Assignment | undefined> {
  const name = ((request.params ?? {}) as Record<string, string | undefined>).name;
  if (name === undefined) return undefined;
  const { kvs } = await store.range(keys.assignments);
  return kvs.map((kv) => JSON.parse(kv.value) as Assignment).find((a) => a.vs === name);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isStream(v: object): boolean {
  return typeof (v as { pipe?: unknown }).pipe === 'function';
}
