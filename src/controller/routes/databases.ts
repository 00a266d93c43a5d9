// Customers' PostgreSQL databases: create, list, read, change, delete, credentials, rotate,
// backups and restores. A customer sees only its own (another's answers 404 as a missing
// one); an admin names the customer on create. Without a database service: 501.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type DatabaseRecord } from '../../model/index.ts';
import { inScope, principalOf, scopeOf } from '../access.ts';
import {
  backupDatabase, connectionBudget, createDatabase, credentialsOf, databaseView, deleteDatabase, listBackups, restoreDatabase, rotateDatabase, updateDatabase, type DatabaseDeps,
} from '../database-writes.ts';
import { ConcurrentUpdateError, DatabasesUnavailableError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { listRecords } from '../records.ts';
import { DatabaseCreateBody, DatabaseParams, DatabasePatchBody, DatabaseRestoreBody } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const databaseRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { store, access } = deps;
  const db = (): DatabaseDeps => {
    if (!deps.databases) throw new DatabasesUnavailableError();
    return { ...deps.databases, store, blobs: deps.blobs, ...(deps.replicateBlob ? { replicateBlob: deps.replicateBlob } : {}) };
  };

  app.post('/v1/databases', { schema: { body: DatabaseCreateBody } }, async (request, reply) => {
    const principal = principalOf(request);
    const d = db();
    const { customer: _c, ...input } = request.body;
    const customer = ownerFor(principal, request.body.customer);
    if (!(await store.get(keys.customer(customer)))) throw new NotFoundError(`customer ${customer}`);
    const { record, credentials } = await createDatabase(d, { ...input, customer }, principal.role === 'customer');
    return reply.code(201).send({ database: databaseView(record), credentials });
  });

  app.get('/v1/databases', async (request) => {
    const scope = scopeOf(principalOf(request));
    const all = await listRecords<DatabaseRecord>(store, keys.databases);
    return { databases: all.filter((d) => inScope(scope, d.customer)).map(databaseView) };
  });

  app.get('/v1/databases/:name', { schema: { params: DatabaseParams } }, async (request) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    return { database: databaseView(found.value) };
  });

  app.patch('/v1/databases/:name', { schema: { params: DatabaseParams, body: DatabasePatchBody } }, async (request) => {
    const principal = principalOf(request);
    const found = await access.loadDatabaseFor(principal, request.params.name);
    const d = db();
    const { connectionLimit, quotaMb, backup } = request.body;
    const next: DatabaseRecord = { ...found.value };
    if (connectionLimit !== undefined) next.connectionLimit = connectionLimit;
    if (quotaMb !== undefined) next.quotaMb = quotaMb;
    if (backup === null) delete next.backup;
    else if (backup !== undefined) next.backup = backup;
    // more connections, by a customer's own token: within its budget (connectionBudget)
    const guard = principal.role === 'customer' && next.connectionLimit > found.value.connectionLimit ? await connectionBudget(store, next) : undefined;
    if (!(await updateDatabase(store, found, next, guard))) throw new ConcurrentUpdateError(`database ${next.name}`);
    if (connectionLimit !== undefined) await d.service.setConnectionLimit(next.pgName, connectionLimit);
    return { database: databaseView(next) };
  });

  app.delete('/v1/databases/:name', { schema: { params: DatabaseParams } }, async (request, reply) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    await deleteDatabase(db(), found);
    return reply.code(204).send();
  });

  app.get('/v1/databases/:name/credentials', { schema: { params: DatabaseParams } }, async (request) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    return { credentials: credentialsOf(db(), found.value) };
  });

  app.post('/v1/databases/:name/rotate', { schema: { params: DatabaseParams } }, async (request) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    const { record, credentials } = await rotateDatabase(db(), found);
    return { database: databaseView(record), credentials };
  });

  app.post('/v1/databases/:name/backups', { schema: { params: DatabaseParams } }, async (request, reply) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    return reply.code(201).send({ backup: await backupDatabase(db(), found.value, 'manual') });
  });

  app.get('/v1/databases/:name/backups', { schema: { params: DatabaseParams } }, async (request) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    return { backups: await listBackups(store, found.value.name) };
  });

  app.post('/v1/databases/:name/restore', { schema: { params: DatabaseParams, body: DatabaseRestoreBody } }, async (request) => {
    const found = await access.loadDatabaseFor(principalOf(request), request.params.name);
    const { backup, into } = request.body;
    if (into === found.value.name) throw new ValidationError('body.into names the database restored from: leave it out to restore in place');
    const { record, credentials, durationMs } = await restoreDatabase(db(), found.value, backup, into, principalOf(request).role === 'customer');
    return { database: databaseView(record), ...(credentials ? { credentials } : {}), durationMs };
  });
};

/** Customers create for themselves; an admin names the customer. */
function ownerFor(p: Principal, requested: string | undefined): string {
  const scope = scopeOf(p);
  if (scope.customer === undefined) {
    if (requested === undefined) throw new ValidationError('body.customer is required with an admin token');
    return requested;
  }
  if (requested !== undefined && requested !== scope.customer) throw new ForbiddenError('a customer token can only create databases for its own customer');
  return scope.customer;
}
