// A site's HTTPS policy flags, for `corral site create` and `corral site set`:
// --https-redirect (create; set has it among its fields), --hsts <max-age|off>,
// --hsts-subdomains and --hsts-preload, as the API's `hsts` object. The API replaces
// the whole object, so on `set` the flags are merged into the stored one; `--hsts off`
// (or default) turns HSTS off. Ranges and the preload rules are checked by the API
// (400 naming the field).
import type { Command } from 'commander';
import type { Hsts } from '../../model/index.ts';
import { CliError } from '../errors.ts';

export interface HttpsOpts {
  hsts?: string;
  hstsSubdomains?: string;
  hstsPreload?: string;
}

export const HTTPS_HELP = `
HTTPS policy: --https-redirect on sends plain HTTP to HTTPS (308) and --hsts <max-age> adds
Strict-Transport-Security to HTTPS answers (e.g. --hsts 1y; seconds, or s/m/h/d/w/y; off by
default; --hsts off turns it off), with --hsts-subdomains on and --hsts-preload on (preload
needs subdomains and at least 1y). Both wait until the router has a valid certificate for the
name asked (the site's own, in date), so a new site never sends visitors to a certificate error.`;

/** Adds the HSTS options to a command (create and set share them). */
export function hstsOptions(cmd: Command): Command {
  return cmd
    .option('--hsts <max-age|off>', 'Strict-Transport-Security on HTTPS answers for this long, e.g. 1y, 180d, 600 (seconds)')
    .option('--hsts-subdomains <on|off>', 'with --hsts: includeSubDomains')
    .option('--hsts-preload <on|off>', 'with --hsts: preload (needs --hsts-subdomains on and at least 1y)');
}

export function hasHstsFlags(o: HttpsOpts): boolean {
  return o.hsts !== undefined || o.hstsSubdomains !== undefined || o.hstsPreload !== undefined;
}

/** The stored HSTS setting with the flags applied; `{}` turns it off. */
export function hstsBody(o: HttpsOpts, stored: Hsts | undefined): Partial<Hsts> {
  if (o.hsts === 'off' || o.hsts === 'default') {
    if (o.hstsSubdomains !== undefined || o.hstsPreload !== undefined) throw new CliError('--hsts off turns HSTS off: give no --hsts-subdomains or --hsts-preload with it');
    return {};
  }
  const out: Partial<Hsts> = { ...stored };
  if (o.hsts !== undefined) out.maxAgeSeconds = maxAgeSeconds(o.hsts);
  if (out.maxAgeSeconds === undefined) throw new CliError('HSTS is off for this site: give --hsts <max-age> (e.g. 1y) with --hsts-subdomains or --hsts-preload');
  flag(out, 'includeSubDomains', o.hstsSubdomains, '--hsts-subdomains');
  flag(out, 'preload', o.hstsPreload, '--hsts-preload');
  return out;
}

export function hstsText(h: Hsts | undefined): string {
  if (!h) return 'off';
  return `max-age ${h.maxAgeSeconds}s${h.includeSubDomains ? ', includeSubDomains' : ''}${h.preload ? ', preload' : ''}`;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800, y: 31_536_000 };

/** "600", "600s", "30m", "12h", "180d", "26w", "1y" → whole seconds. */
export function maxAgeSeconds(v: string): number {
  const m = /^(\d{1,12})([smhdwy]?)$/.exec(v.trim());
  if (!m) throw new CliError(`--hsts must be a max-age such as 1y, 180d or 600 (seconds), or off, got "${v}"`);
  return Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
}

function flag(out: Partial<Hsts>, key: 'includeSubDomains' | 'preload', v: string | undefined, name: string): void {
  if (v === undefined) return;
  if (v === 'on') out[key] = true;
  else if (v === 'off' || v === 'default') delete out[key];
  else throw new CliError(`${name} must be on or off, got "${v}"`);
}
