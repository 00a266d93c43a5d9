// Site input → Site record: defaults, then the checks that span fields or need a clearer
// message than a schema pattern gives (command vs kind, env key names).

import type { Static } from 'typebox';
import { newSiteId, type Balance, type Site } from '../model/index.ts';
import { domainRefusal, type Claimant, type DomainRules } from './domain-rules.ts';
import { DomainReservedError, ValidationError } from './errors.ts';
import type { SiteCreateBody, SitePatchBody } from './schemas.ts';
import { checkSitePages, mergeErrorPages, mergeMaintenance } from './site-pages.ts';

export type SiteCreateInput = Static<typeof SiteCreateBody>;
export type SitePatchInput = Static<typeof SitePatchBody>;

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
const RESERVED_ENV = new Set(['PORT', 'HOST']);

export function newSite(input: SiteCreateInput, customer: string, now = new Date()): Site {
  const at = now.toISOString();
  const site: Site = {
    id: newSiteId(),
    name: input.name,
    customer,
    domains: input.domains,
    kind: input.kind,
    replicas: input.replicas ?? 1,
    healthPath: input.healthPath ?? '/',
    env: input.env ?? {},
    createdAt: at,
    updatedAt: at,
  };
  if (input.command !== undefined) site.command = input.command;
  if (input.balance !== undefined) site.balance = input.balance;
  if (input.limits !== undefined) site.limits = input.limits;
  if (input.healthCheck !== undefined) site.healthCheck = input.healthCheck;
  if (input.resources !== undefined) site.resources = input.resources;
  if (input.egress !== undefined) site.egress = input.egress;
  if (input.httpsRedirect !== undefined) site.httpsRedirect = input.httpsRedirect;
  if (input.retry !== undefined && Object.keys(input.retry).length > 0) site.retry = input.retry;
  if (input.maintenance !== undefined) site.maintenance = mergeMaintenance(undefined, input.maintenance);
  const errorPages = input.errorPages && mergeErrorPages(undefined, input.errorPages);
  if (errorPages) site.errorPages = errorPages;
  checkSite(site);
  return site;
}

/** The site with the patch applied; domains and env are replaced as a whole. */
export function patchedSite(site: Site, patch: SitePatchInput, now = new Date()): Site {
  const next: Site = { ...site, updatedAt: now.toISOString() };
  if (patch.domains !== undefined) next.domains = patch.domains;
  if (patch.replicas !== undefined) next.replicas = patch.replicas;
  if (patch.command !== undefined) next.command = patch.command;
  if (patch.healthPath !== undefined) next.healthPath = patch.healthPath;
  if (patch.env !== undefined) next.env = patch.env;
  if (patch.balance !== undefined) next.balance = patch.balance;
  if (patch.limits !== undefined) next.limits = patch.limits;
  if (patch.healthCheck !== undefined) next.healthCheck = patch.healthCheck;
  if (patch.resources !== undefined) next.resources = { ...site.resources, ...patch.resources };
  if (patch.egress !== undefined) next.egress = patch.egress;
  if (patch.httpsRedirect !== undefined) next.httpsRedirect = patch.httpsRedirect;
  if (patch.retry !== undefined) {
    if (Object.keys(patch.retry).length > 0) next.retry = patch.retry;
    else delete next.retry;
  }
  if (patch.maintenance !== undefined) next.maintenance = mergeMaintenance(site.maintenance, patch.maintenance);
  if (patch.errorPages !== undefined) {
    const pages = mergeErrorPages(site.errorPages, patch.errorPages);
    if (pages) next.errorPages = pages;
    else delete next.errorPages;
  }
  checkSite(next);
  return next;
}

/**
 * Refuse the domains a site gains (all of them on create; on a patch only those added, so
 * a name an admin gave the site stays) that the claimant may not claim (domain-rules.ts).
 */
export function checkDomainClaims(before: readonly string[], after: readonly string[], rules: DomainRules, claimant: Claimant): void {
  for (const domain of after) {
    if (before.includes(domain)) continue;
    const refusal = domainRefusal(domain, rules, claimant);
    if (refusal !== undefined) throw new DomainReservedError(domain, refusal);
  }
}

function checkSite(site: Site): void {
  if (site.kind === 'app' && site.command === undefined) {
    throw new ValidationError('body.command is required when kind is "app"');
  }
  if (site.kind === 'static' && site.command !== undefined) {
    throw new ValidationError('body.command is not allowed when kind is "static" (the web runtime serves static sites)');
  }
  for (const key of Object.keys(site.env)) checkEnvKey(key);
  if (site.balance) checkBalance(site.balance);
  checkSitePages(site);
}

function checkBalance(b: Balance): void {
  if (b.hashOn !== undefined && b.policy !== 'hash') throw new ValidationError('body.balance.hashOn is only for policy "hash"');
  if (b.weights !== undefined && b.policy !== 'weighted') throw new ValidationError('body.balance.weights is only for policy "weighted"');
  if (b.policy === 'hash' && (b.hashOn === 'header' || b.hashOn === 'cookie') && b.key === undefined) {
    throw new ValidationError(`body.balance.key is required: the ${b.hashOn} name to hash on`);
  }
  if (b.key !== undefined && !(b.policy === 'sticky' || (b.policy === 'hash' && b.hashOn !== undefined && b.hashOn !== 'ip'))) {
    throw new ValidationError('body.balance.key is only for policy "sticky" (cookie name) or "hash" on a header or cookie');
  }
}

function checkEnvKey(key: string): void {
  if (!ENV_KEY.test(key)) throw new ValidationError(`body.env key ${JSON.stringify(key)} must match ${ENV_KEY.source}`);
  if (RESERVED_ENV.has(key) || key.startsWith('CORRAL_')) {
    throw new ValidationError(`body.env key ${JSON.stringify(key)} is reserved: Corral sets PORT, HOST and CORRAL_* itself`);
  }
}
