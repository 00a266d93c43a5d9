// `corral site set` flags → the API's PATCH body, with merge semantics throughout: a flag
// changes only its own setting, and `default` as a flag's value removes that setting (the
// farm's default applies again). Limits, health checks and retries are sent whole (the API
// replaces those objects), so they are merged here with the stored site; resources the API
// merges itself (null removes one). Lists and maps have add/remove flags.
import type { Site } from '../../model/index.ts';
import { CliError } from '../errors.ts';
import { durationMs } from './retry-flags.ts';
import { decimal, wholeNumber } from './numbers.ts';

export const DEFAULT = 'default';

/** The guest's resources and outbound policy (namespace runtime): flags of both site create and site set. */
export interface GuestOpts {
  memory?: string;
  cpu?: string;
  pids?: string;
  tmp?: string;
  disk?: string;
  egress?: string;
}

export interface SiteFieldOpts extends GuestOpts {
  /** `site set --db`: the database to bind, or `default` to unbind. */
  db?: string;
  domain: string[];
  addDomain: string[];
  removeDomain: string[];
  replicas?: string;
  command?: string;
  health?: string;
  env: string[];
  unsetEnv: string[];
  maxBodyBytes?: string;
  maxHeaderBytes?: string;
  rate?: string;
  burst?: string;
  healthCheck?: string;
  healthCheckPath?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRise?: string;
  healthFall?: string;
  healthStatus?: string;
  httpsRedirect?: string;
}

export const FIELD_HELP = `
Every flag changes only its own setting; \`default\` as its value removes the setting
(e.g. --rate default, --memory default, --health-interval default). Lists and maps:
--domain replaces the domains, --add-domain / --remove-domain change one;
--env KEY=VALUE sets one variable, --unset-env KEY removes one.`;

/** Whether these flags need the stored site (merging a whole object, or a list). */
export function needsCurrent(o: SiteFieldOpts): boolean {
  return o.addDomain.length > 0 || o.removeDomain.length > 0 || o.env.length > 0 || o.unsetEnv.length > 0 || limitsGiven(o) || healthCheckGiven(o);
}

/** The PATCH body for the flags given; `current` is the stored site (see needsCurrent). */
export function siteFieldsBody(o: SiteFieldOpts, current: Site | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const domains = domainsBody(o, current);
  if (domains) body.domains = domains;
  if (o.replicas !== undefined) body.replicas = wholeOrDefault(o.replicas, '--replicas');
  if (o.command !== undefined) body.command = o.command;
  if (o.health !== undefined) body.healthPath = o.health === DEFAULT ? '/' : o.health;
  const env = envBody(o, current);
  if (env) body.env = env;
  if (limitsGiven(o)) body.limits = limitsBody(o, current?.limits ?? {});
  if (healthCheckGiven(o)) body.healthCheck = healthCheckBody(o, current?.healthCheck ?? {});
  const resources = resourcesBody(o);
  if (resources) body.resources = resources;
  if (o.egress !== undefined) {
    if (o.egress !== 'none' && o.egress !== 'engine' && o.egress !== DEFAULT) throw new CliError(`--egress must be none, engine or default, got "${o.egress}"`);
    body.egress = o.egress === DEFAULT ? 'none' : o.egress;
  }
  if (o.httpsRedirect !== undefined) body.httpsRedirect = onOff(o.httpsRedirect, '--https-redirect') ?? false;
  if (o.db !== undefined) body.database = o.db === DEFAULT ? null : o.db;
  return body;
}

/** Resources for create (no removal there): the same flags, numbers only. */
export function resourcesBody(o: Pick<SiteFieldOpts, 'memory' | 'cpu' | 'pids' | 'tmp' | 'disk'>): Record<string, number | null> | undefined {
  const r: Record<string, number | null> = {};
  const set = flagSetter(r, null);
  set('memoryMb', o.memory, '--memory', wholeOrDefault);
  set('cpu', o.cpu, '--cpu', cores);
  set('pids', o.pids, '--pids', wholeOrDefault);
  set('tmpMb', o.tmp, '--tmp', wholeOrDefault);
  set('diskMb', o.disk, '--disk', wholeOrDefault);
  return Object.keys(r).length > 0 ? r : undefined;
}

export function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--env wants KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** A setting's whole number (the caller turns `default` into removing the setting). */
export function wholeOrDefault(v: string, flag: string): number {
  return wholeNumber(v, flag, { expected: `a whole number or ${DEFAULT}` });
}

function domainsBody(o: SiteFieldOpts, current: Site | undefined): string[] | undefined {
  if (o.domain.length > 0 && (o.addDomain.length > 0 || o.removeDomain.length > 0)) throw new CliError('--domain replaces the domains: give it alone, or use --add-domain / --remove-domain');
  if (o.domain.length > 0) return o.domain;
  if (o.addDomain.length === 0 && o.removeDomain.length === 0) return undefined;
  const have = current?.domains ?? [];
  for (const d of o.removeDomain) if (!have.includes(d)) throw new CliError(`--remove-domain ${d}: the site has no such domain (it has ${have.join(', ')})`);
  const next = [...have.filter((d) => !o.removeDomain.includes(d)), ...o.addDomain.filter((d) => !have.includes(d))];
  if (next.length === 0) throw new CliError('a site needs at least one domain: add one before removing the last');
  return next;
}

function envBody(o: SiteFieldOpts, current: Site | undefined): Record<string, string> | undefined {
  if (o.env.length === 0 && o.unsetEnv.length === 0) return undefined;
  const env = { ...current?.env, ...parseEnv(o.env) };
  for (const key of o.unsetEnv) {
    if (!(key in env)) throw new CliError(`--unset-env ${key}: the site has no such variable`);
    delete env[key];
  }
  return env;
}

function limitsGiven(o: SiteFieldOpts): boolean {
  return o.maxBodyBytes !== undefined || o.maxHeaderBytes !== undefined || o.rate !== undefined || o.burst !== undefined;
}

function limitsBody(o: SiteFieldOpts, stored: NonNullable<Site['limits']>): NonNullable<Site['limits']> {
  const limits: Record<string, number | undefined> = { ...stored };
  const set = (key: string, v: string | undefined, flag: string) => {
    if (v !== undefined) limits[key] = v === DEFAULT ? undefined : wholeOrDefault(v, flag);
  };
  set('maxBodyBytes', o.maxBodyBytes, '--max-body-bytes');
  set('maxHeaderBytes', o.maxHeaderBytes, '--max-header-bytes');
  set('requestsPerSecond', o.rate, '--rate');
  set('burst', o.burst, '--burst');
  return defined(limits);
}

function healthCheckGiven(o: SiteFieldOpts): boolean {
  return [o.healthCheck, o.healthCheckPath, o.healthInterval, o.healthTimeout, o.healthRise, o.healthFall, o.healthStatus].some((v) => v !== undefined);
}

function healthCheckBody(o: SiteFieldOpts, stored: NonNullable<Site['healthCheck']>): NonNullable<Site['healthCheck']> {
  const hc: Record<string, number | string | boolean | undefined> = { ...stored };
  if (o.healthCheck !== undefined) {
    const on = onOff(o.healthCheck, '--health-check');
    hc.off = on === false ? true : undefined;
  }
  if (o.healthCheckPath !== undefined) hc.path = o.healthCheckPath === DEFAULT ? undefined : o.healthCheckPath;
  const set = flagSetter(hc, undefined);
  set('intervalMs', o.healthInterval, '--health-interval', durationMs);
  set('timeoutMs', o.healthTimeout, '--health-timeout', durationMs);
  set('rise', o.healthRise, '--health-rise', wholeOrDefault);
  set('fall', o.healthFall, '--health-fall', wholeOrDefault);
  set('expectStatus', o.healthStatus, '--health-status', wholeOrDefault);
  return defined(hc);
}

/** Sets target[key] from a numeric flag when it was given: `default` stores `removed` (null removes the field in a PATCH, undefined leaves it out of a whole object). */
function flagSetter<R>(target: Record<string, unknown>, removed: R) {
  return (key: string, v: string | undefined, flag: string, parse: (v: string, flag: string) => number): void => {
    if (v !== undefined) target[key] = v === DEFAULT ? removed : parse(v, flag);
  };
}

/** on → true, off → false, default → undefined. */
function onOff(v: string, flag: string): boolean | undefined {
  if (v === 'on') return true;
  if (v === 'off') return false;
  if (v === DEFAULT) return undefined;
  throw new CliError(`${flag} must be on, off or ${DEFAULT}, got "${v}"`);
}

function cores(v: string, flag: string): number {
  const n = decimal(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number of cores (e.g. 0.5) or ${DEFAULT}, got "${v}"`);
  return n;
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

export const TLS_HELP = "certificates: auto (ACME, the farm's CA), manual (corral cert add) or off (the router's default); default: auto unless every domain is under .test, .localhost, .local, .example or an IP";

/** --tls: a certificate mode. */
export function tlsFlag(v: string): 'auto' | 'manual' | 'off' {
  if (v === 'auto' || v === 'manual' || v === 'off') return v;
  throw new CliError(`--tls must be auto, manual or off, got "${v}"`);
}
