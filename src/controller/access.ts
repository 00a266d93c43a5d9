// Who may see and change what, in one place. Admins see everything; a customer sees only
// its own customer record and sites, and another customer's resources answer 404 exactly as
// if they did not exist; engines may only fetch blobs.

import type { FastifyRequest } from 'fastify';
import { keys, type Customer, type DatabaseRecord, type Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from './errors.ts';
import type { Principal } from './principal.ts';
import { readRecord, type Stored } from './records.ts';

/** Whose resources a principal may list: every customer's (undefined) or one. */
export interface Scope {
  customer?: string;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new ForbiddenError('this route needs an admin token');
}

export function requireAdminOrEngine(p: Principal): void {
  if (p.role === 'customer') throw new ForbiddenError('this route needs an admin or engine token');
}

/** The customers' resources a principal may see; engines see none. */
export function scopeOf(p: Principal): Scope {
  if (p.role === 'engine') throw new ForbiddenError('engine tokens may only fetch blobs');
  return p.role === 'customer' ? { customer: p.customer } : {};
}

export function inScope(scope: Scope, customer: string): boolean {
  return scope.customer === undefined || scope.customer === customer;
}

export class Access {
  constructor(private readonly store: Store) {}

  /** The site if the principal may see it, else 404 (also for another customer's site). */
  async loadSiteFor(p: Principal, name: string): Promise<Stored<Site>> {
    const scope = scopeOf(p);
    const site = await readRecord<Site>(this.store, keys.site(name));
    if (!site || !inScope(scope, site.value.customer)) throw new NotFoundError(`site ${name}`);
    return site;
  }

  /** The customer record if it is the principal's own (or the principal is admin), else 404. */
  async loadCustomerFor(p: Principal, id: string): Promise<Stored<Customer>> {
    const scope = scopeOf(p);
    const customer = inScope(scope, id) ? await readRecord<Customer>(this.store, keys.customer(id)) : undefined;
    if (!customer) throw new NotFoundError(`customer ${id}`);
    return customer;
  }

  /** The database if the principal may see it, else 404 (also for another customer's database). */
  async loadDatabaseFor(p: Principal, name: string): Promise<Stored<DatabaseRecord>> {
    const scope = scopeOf(p);
    const db = await readRecord<DatabaseRecord>(this.store, keys.database(name));
    if (!db || !inScope(scope, db.value.customer)) throw new NotFoundError(`database ${name}`);
    return db;
  }
}
