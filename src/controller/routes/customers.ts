// Customers and their tokens. Creating, listing and deleting customers is for admins; a customer may
// read itself, and make, list and revoke its own tokens (an admin may for any customer).
//   POST   /v1/customers/:id/tokens {name?}   → 201 {token}   (shown once)
//   GET    /v1/customers/:id/tokens           → {tokens: [{id, name, createdAt, current}]}
//   DELETE /v1/customers/:id/tokens/:tokenId  → 204; the token stops working at once

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type Customer } from '../../model/index.ts';
import { principalOf, requireAdmin } from '../access.ts';
import { AlreadyExistsError, CustomerHasSitesError, NotFoundError } from '../errors.ts';
import { databasesOf, deleteDatabasesOf } from '../database-writes.ts';
import { listRecords } from '../records.ts';
import { CustomerCreateBody, CustomerDeleteQuery, CustomerParams, CustomerTokenParams, TokenCreateBody } from '../schemas.ts';
import { deleteCustomer } from '../customer-delete.ts';
import { customerTokens, newToken } from '../tokens.ts';
import type { RouteDeps } from './deps.ts';

export const customerRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access, blobs, databases }) => {
  app.post('/v1/customers', { schema: { body: CustomerCreateBody } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    const { name } = request.body;
    const customer: Customer = { id: name, name, createdAt: new Date().toISOString() };
    const { token, op } = newToken({ role: 'customer', customer: name, name: 'first' });
    const res = await store.txn({
      compare: [{ key: keys.customer(name), target: 'create', op: '=', value: 0 }],
      success: [{ type: 'put', key: keys.customer(name), value: JSON.stringify(customer) }, op],
    });
    if (!res.succeeded) throw new AlreadyExistsError(`customer ${name}`);
    return reply.code(201).send({ customer, token });
  });

  app.get('/v1/customers', async (request) => {
    requireAdmin(principalOf(request));
    return { customers: await listRecords<Customer>(store, keys.customers) };
  });

  app.get('/v1/customers/:id', { schema: { params: CustomerParams } }, async (request) => {
    const customer = await access.loadCustomerFor(principalOf(request), request.params.id);
    return { customer: customer.value };
  });

  // admin only: refused while the customer has sites unless ?cascade=true; its tokens go with it
  app.delete('/v1/customers/:id', { schema: { params: CustomerParams, querystring: CustomerDeleteQuery } }, async (request) => {
    const principal = principalOf(request);
    requireAdmin(principal);
    const customer = await access.loadCustomerFor(principal, request.params.id);
    const cascade = request.query.cascade ?? false;
    // its databases too: refused without cascade, else deleted once its sites are gone (a
    // customer re-created under the name must never find them)
    const owned = await databasesOf(store, customer.value.id);
    if (owned.length > 0 && !cascade) throw new CustomerHasSitesError(customer.value.id, `${owned.length} database(s) (${owned.slice(0, 5).map((d) => d.value.name).join(', ')})`);
    const sites = await deleteCustomer(store, customer, { cascade });
    // listed again now that the customer's record is gone: a database created meanwhile goes
    // too (none can be created after: createDatabase compares the customer's record)
    const deletedDatabases = await deleteDatabasesOf(store, blobs, databases, await databasesOf(store, customer.value.id));
    return { customer: customer.value, deletedSites: sites, ...(deletedDatabases.length > 0 ? { deletedDatabases } : {}) };
  });

  app.post('/v1/customers/:id/tokens', { schema: { params: CustomerParams, body: TokenCreateBody } }, async (request, reply) => {
    const customer = await access.loadCustomerFor(principalOf(request), request.params.id);
    const id = customer.value.id;
    const { token, op } = newToken({ role: 'customer', customer: id, name: request.body.name ?? 'token' });
    const res = await store.txn({
      compare: [{ key: customer.kv.key, target: 'create', op: '=', value: customer.kv.createRevision }],
      success: [op],
    });
    if (!res.succeeded) throw new NotFoundError(`customer ${id}`);
    return reply.code(201).send({ token });
  });

  app.get('/v1/customers/:id/tokens', { schema: { params: CustomerParams } }, async (request) => {
    const principal = principalOf(request);
    const customer = await access.loadCustomerFor(principal, request.params.id);
    const own = principal.role === 'customer' ? principal.tokenId : undefined;
    return { tokens: (await customerTokens(store, customer.value.id)).map(({ id, name, createdAt }) => ({ id, name, createdAt, current: id === own })) };
  });

  app.delete('/v1/customers/:id/tokens/:tokenId', { schema: { params: CustomerTokenParams } }, async (request, reply) => {
    const customer = await access.loadCustomerFor(principalOf(request), request.params.id);
    const token = (await customerTokens(store, customer.value.id)).find((t) => t.id === request.params.tokenId);
    if (!token) throw new NotFoundError(`token ${request.params.tokenId} of customer ${customer.value.id}`);
    await store.delete(token.key);
    return reply.code(204).send();
  });
};
