// The web runtime's configuration: the sites it serves and where it listens.
// Env → typed value → normalise → cross-field checks → frozen. Unknown keys are rejected.

import path from 'node:path';
import { WebConfigError } from './errors.ts';

/** One static site: the domains it answers for and its content directory. */
export interface WebSite {
  /** Lower-case host names without port. Empty means "any host" (only valid when it is the only site). */
  readonly domains: readonly string[];
  /** Absolute path of the site's content directory (its release directory). */
  readonly root: string;
  /** A single-page app: a page path that names no file gets /index.html (spa-fallback.ts). */
  readonly spa: boolean;
}

export interface ListenConfig {
  readonly port: number;
  readonly host: string;
}

/** Validate and normalise a list of sites (e.g. parsed CORRAL_WEB_SITES: `{ domains, root, spa? }`). */
export function parseSites(value: unknown): readonly WebSite[] {
  if (!Array.isArray(value) || value.length === 0) throw new WebConfigError('sites must be a non-empty array of { domains, root }.');
  const sites = value.map((v, i) => parseSite(v, `sites[${i}]`));
  checkDomains(sites);
  return Object.freeze(sites);
}

/** The sites from CORRAL_WEB_SITES (JSON), or else one site from CORRAL_WEB_ROOT served for any Host. */
export function sitesFromEnv(env: NodeJS.ProcessEnv): readonly WebSite[] {
  const json = env.CORRAL_WEB_SITES;
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new WebConfigError(`CORRAL_WEB_SITES is not valid JSON: ${(err as Error).message}`);
    }
    return parseSites(value);
  }
  const root = env.CORRAL_WEB_ROOT;
  if (root) return parseSites([{ domains: [], root }]);
  throw new WebConfigError('Set CORRAL_WEB_SITES (JSON array of { domains, root }) or CORRAL_WEB_ROOT (one directory).');
}

/** PORT (required, 0–65535) and HOST (default 127.0.0.1). */
export function listenFromEnv(env: NodeJS.ProcessEnv): ListenConfig {
  const raw = env.PORT;
  const port = raw !== undefined && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new WebConfigError(`PORT must be an integer 0–65535, got ${JSON.stringify(raw ?? null)}.`);
  return Object.freeze({ port, host: env.HOST || '127.0.0.1' });
}

function parseSite(v: unknown, where: string): WebSite {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WebConfigError(`${where} must be an object { domains, root }.`);
  const rec = v as Record<string, unknown>;
  const unknown = Object.keys(rec).filter((k) => k !== 'domains' && k !== 'root' && k !== 'spa');
  if (unknown.length > 0) throw new WebConfigError(`${where} has unknown key(s): ${unknown.join(', ')}.`);
  const { domains, root, spa } = rec;
  if (!Array.isArray(domains) || !domains.every((d) => typeof d === 'string' && d.length > 0)) {
    throw new WebConfigError(`${where}.domains must be an array of non-empty strings.`);
  }
  if (typeof root !== 'string' || root.length === 0) throw new WebConfigError(`${where}.root must be a non-empty path.`);
  if (spa !== undefined && typeof spa !== 'boolean') throw new WebConfigError(`${where}.spa must be true or false.`);
  const normalised = [...new Set(domains.map((d: string) => normaliseDomain(d)))];
  return Object.freeze({ domains: Object.freeze(normalised), root: path.resolve(root), spa: spa === true });
}

function normaliseDomain(d: string): string {
  return d.trim().toLowerCase().replace(/\.$/, '');
}

function checkDomains(sites: WebSite[]): void {
  if (sites.length > 1 && sites.some((s) => s.domains.length === 0)) {
    throw new WebConfigError('With several sites, every site must list its domains.');
  }
  const seen = new Map<string, number>();
  sites.forEach((s, i) => {
    for (const d of s.domains) {
      const other = seen.get(d);
      if (other !== undefined) throw new WebConfigError(`Domain "${d}" is listed by sites[${other}] and sites[${i}].`);
      seen.set(d, i);
    }
  });
}
