// Site input → Site record: defaults, then the checks that span fields or need a clearer
// message than a schema pattern gives (command vs kind, the environment's total size).
// Each field's own rules (env names, paths, no control characters) are the model's
// schemas (src/model/schemas.ts), checked before this runs.

import type { Static } from 'typebox';
import { newSiteId, type Autoscale, type Balance, type Hsts, type Site } from '../model/index.ts';
import { domainRefusal, type Claimant, type DomainRules } from './domain-rules.ts';
import { DomainReservedError, ForbiddenError, ValidationError } from './errors.ts';
import type { Principal } from './principal.ts';
import type { SiteCreateBody, SitePatchBody } from './schemas.ts';
import { checkSitePages, mergeErrorPages, mergeMaintenance } from './site-pages.ts';

export type SiteCreateInput = Static<typeof SiteCreateBody>;
export type SitePatchInput = Static<typeof SitePatchBody>;

/** Names and values of a site's env together, in bytes of UTF-8: well under what execve takes with Corral's own variables. */
export const MAX_ENV_BYTES = 131_072;

/** `staticPools`: the farm's default for `pooled` when the request does not say (default true; `--no-static-pools`: false). */
export function newSite(input: SiteCreateInput, customer: string, now = new Date(), staticPools = true): Site {
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
  if (input.drainTimeoutMs !== undefined) site.drainTimeoutMs = input.drainTimeoutMs;
  if (input.startTimeoutMs !== undefined) site.startTimeoutMs = input.startTimeoutMs;
  if (input.tls !== undefined) site.tls = input.tls;
  if (input.maintenance !== undefined) site.maintenance = mergeMaintenance(undefined, input.maintenance);
  const errorPages = input.errorPages && mergeErrorPages(undefined, input.errorPages);
  if (errorPages) site.errorPages = errorPages;
  if (input.hsts !== undefined && Object.keys(input.hsts).length > 0) site.hsts = input.hsts as Hsts;
  if (input.autoscale !== undefined && Object.keys(input.autoscale).length > 0) site.autoscale = input.autoscale as Autoscale;
  if (input.pooled ?? (staticPools && input.kind === 'static')) site.pooled = true;
  if (input.spa === true) site.spa = true;
  checkSite(site);
  return site;
}

/**
 * The site with the patch applied; domains, env, limits and healthCheck are replaced as a whole,
 * resources merged (a null field removes one).
 */
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
  if (patch.resources !== undefined) {
    const resources: Record<string, number | null | undefined> = { ...site.resources, ...patch.resources };
    for (const [key, value] of Object.entries(resources)) if (value === null || value === undefined) delete resources[key];
    if (Object.keys(resources).length > 0) next.resources = resources as NonNullable<Site['resources']>;
    else delete next.resources;
  }
  if (patch.egress !== undefined) next.egress = patch.egress;
  if (patch.database === null) delete next.database;
  else if (patch.database !== undefined) next.database = patch.database;
  if (patch.httpsRedirect !== undefined) next.httpsRedirect = patch.httpsRedirect;
  if (patch.retry !== undefined) {
    if (Object.keys(patch.retry).length > 0) next.retry = patch.retry;
    else delete next.retry;
  }
  if (patch.drainTimeoutMs !== undefined) next.drainTimeoutMs = patch.drainTimeoutMs;
  if (patch.startTimeoutMs !== undefined) next.startTimeoutMs = patch.startTimeoutMs;
  if (patch.tls !== undefined) next.tls = patch.tls;
  if (patch.maintenance !== undefined) next.maintenance = mergeMaintenance(site.maintenance, patch.maintenance);
  if (patch.errorPages !== undefined) {
    const pages = mergeErrorPages(site.errorPages, patch.errorPages);
    if (pages) next.errorPages = pages;
    else delete next.errorPages;
  }
  if (patch.hsts !== undefined) {
    if (Object.keys(patch.hsts).length > 0) next.hsts = patch.hsts as Hsts;
    else delete next.hsts;
  }
  if (patch.autoscale !== undefined) {
    if (Object.keys(patch.autoscale).length > 0) next.autoscale = patch.autoscale as Autoscale;
    else delete next.autoscale;
  }
  if (patch.pooled === true) next.pooled = true;
  else if (patch.pooled === false || patch.pooled === null) delete next.pooled;
  if (patch.spa === true) next.spa = true;
  else if (patch.spa === false) delete next.spa;
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
  if (site.pooled === true && site.kind !== 'static') throw new ValidationError('body.pooled is only for static sites (app sites run their own command)');
  if (site.spa === true && site.kind !== 'static') throw new ValidationError('body.spa is only for static sites (an app answers its own routes)');
  checkEnvSize(site.env);
  if (site.balance) checkBalance(site.balance);
  if (site.hsts) checkHsts(site.hsts);
  if (site.autoscale) checkAutoscale(site.autoscale);
  checkSitePages(site);
}

/** Bounds that span fields; each field's own range is the model's (src/model/schemas.ts Autoscale). */
function checkAutoscale(a: Partial<Autoscale>): void {
  if (a.maxReplicas === undefined) throw new ValidationError('body.autoscale.maxReplicas is required (send autoscale: {} to turn autoscaling off)');
  a.minReplicas ??= 1;
  if (a.minReplicas > a.maxReplicas) throw new ValidationError(`body.autoscale.minReplicas (${a.minReplicas}) must not be above maxReplicas (${a.maxReplicas})`);
  if (a.idleTimeoutMs !== undefined && a.minReplicas > 0) {
    throw new ValidationError('body.autoscale.idleTimeoutMs is only for minReplicas 0 (scale to zero): a site with servers always running is never idle');
  }
}

/** hstspreload.org's rules for a preload entry: includeSubDomains and a max-age of a year or more. */
export const HSTS_PRELOAD_MIN_SECONDS = 31_536_000;

function checkHsts(h: Hsts): void {
  if ((h as Partial<Hsts>).maxAgeSeconds === undefined) throw new ValidationError('body.hsts.maxAgeSeconds is required (send hsts: {} to turn HSTS off)');
  if (h.preload === true && (h.includeSubDomains !== true || h.maxAgeSeconds < HSTS_PRELOAD_MIN_SECONDS)) {
    throw new ValidationError(`body.hsts.preload needs includeSubDomains and maxAgeSeconds of at least ${HSTS_PRELOAD_MIN_SECONDS} (one year), as the browsers' preload list requires`);
  }
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

function checkEnvSize(env: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(env)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value) + 2;
  if (bytes > MAX_ENV_BYTES) {
    throw new ValidationError(`body.env is ${bytes} bytes of names and values; a site's environment may hold at most ${MAX_ENV_BYTES} (128 KiB): keep large data in files of the release instead`);
  }
}

/**
 * What a customer may give one of its virtual servers by itself; an admin may give more (up to
 * the schema's bounds). Without caps a customer's token could ask 64 GiB and 64 CPUs per
 * server and take the engine from every other customer.
 */
export const CUSTOMER_RESOURCE_CAPS = { memoryMb: 4_096, cpu: 4, pids: 4_096, tmpMb: 4_096, diskMb: 65_536 } as const;

/** A customer asking more than CUSTOMER_RESOURCE_CAPS for a setting it sends: 403 naming it. */
export function refuseResourcesAboveCaps(p: Principal, asked: Partial<Record<keyof typeof CUSTOMER_RESOURCE_CAPS, number | null>> | undefined): void {
  if (p.role === 'admin' || asked === undefined) return;
  for (const [key, cap] of Object.entries(CUSTOMER_RESOURCE_CAPS)) {
    const v = asked[key as keyof typeof CUSTOMER_RESOURCE_CAPS];
    if (typeof v === 'number' && v > cap) throw new ForbiddenError(`resources.${key} ${v} is above what a customer may set (${cap}); ask the farm's operator, who may set more`);
  }
}

/**
 * `egress: engine` lets a site's servers connect to their engine's host (the bridge's
 * address): every service listening there on all addresses, whatever it is. A customer's
 * own token may not ask it (403); an admin may give it.
 */
export function refuseEgressAboveCaps(p: Principal, egress: string | null | undefined): void {
  if (p.role !== 'admin' && egress === 'engine') throw new ForbiddenError("egress engine lets the site's servers connect to any service of their engine's host: ask the farm's operator, who may set it");
}
