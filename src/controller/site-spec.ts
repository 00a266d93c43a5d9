// Site input → Site record: defaults, then the checks that span fields or need a clearer
// message than a schema pattern gives (command vs kind, env key names).

import type { Static } from 'typebox';
import type { Site } from '../model/index.ts';
import { ValidationError } from './errors.ts';
import type { SiteCreateBody, SitePatchBody } from './schemas.ts';

export type SiteCreateInput = Static<typeof SiteCreateBody>;
export type SitePatchInput = Static<typeof SitePatchBody>;

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
const RESERVED_ENV = new Set(['PORT', 'HOST']);

export function newSite(input: SiteCreateInput, customer: string, now = new Date()): Site {
  const at = now.toISOString();
  const site: Site = {
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
  checkSite(next);
  return next;
}

function checkSite(site: Site): void {
  if (site.kind === 'app' && site.command === undefined) {
    throw new ValidationError('body.command is required when kind is "app"');
  }
  if (site.kind === 'static' && site.command !== undefined) {
    throw new ValidationError('body.command is not allowed when kind is "static" (the web runtime serves static sites)');
  }
  for (const key of Object.keys(site.env)) checkEnvKey(key);
}

function checkEnvKey(key: string): void {
  if (!ENV_KEY.test(key)) throw new ValidationError(`body.env key ${JSON.stringify(key)} must match ${ENV_KEY.source}`);
  if (RESERVED_ENV.has(key) || key.startsWith('CORRAL_')) {
    throw new ValidationError(`body.env key ${JSON.stringify(key)} is reserved: Corral sets PORT, HOST and CORRAL_* itself`);
  }
}
