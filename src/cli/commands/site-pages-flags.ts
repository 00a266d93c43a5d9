// --maintenance, --maintenance-page, --maintenance-allow and --error-page for
// `corral site set`: the API's `maintenance` and `errorPages` (pages read from files).
//   --maintenance on|off|default   --maintenance-page f.html (default or "" removes)
//   --maintenance-allow ip,cidr (default or "" clears)   --error-page 502=f.html (repeatable; 502=default or 502= removes)
import { readFile, stat } from 'node:fs/promises';
import type { Site } from '../../model/index.ts';
import { CliError } from '../errors.ts';

export interface PagesOpts {
  maintenance?: string;
  maintenancePage?: string;
  maintenanceAllow?: string;
  errorPage: string[];
}

export const PAGES_HELP = `
Maintenance: the router answers every request for the site with 503, Retry-After: 120 and the
maintenance page (or a plain page naming the domain), except clients in --maintenance-allow.
No redeploy: it takes effect within a second. Error pages replace the router's own answers
for that status (not the site's); "{{errorId}}" in a page becomes the error's id.`;

const MAX_PAGE_BYTES = 65_536;

/** `default` (the convention of every `site set` flag) or the older empty value: remove it. */
function removes(v: string): boolean {
  return v === '' || v === 'default';
}

/** The `maintenance` and `errorPages` fields of a PATCH body for the options given (none: {}). */
export async function pagesBody(o: PagesOpts): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const maintenance: Record<string, unknown> = {};
  if (o.maintenance !== undefined) {
    if (o.maintenance !== 'on' && o.maintenance !== 'off' && o.maintenance !== 'default') throw new CliError(`--maintenance must be on, off or default, got "${o.maintenance}"`);
    maintenance.on = o.maintenance === 'on';
  }
  if (o.maintenancePage !== undefined) maintenance.page = removes(o.maintenancePage) ? '' : await readPage(o.maintenancePage, '--maintenance-page');
  if (o.maintenanceAllow !== undefined) maintenance.allowIps = removes(o.maintenanceAllow) ? [] : o.maintenanceAllow.split(',').map((ip) => ip.trim()).filter((ip) => ip !== '');
  if (Object.keys(maintenance).length > 0) body.maintenance = maintenance;
  if (o.errorPage.length > 0) {
    const pages: Record<string, string> = {};
    for (const spec of o.errorPage) {
      const m = /^(\d{3})=(.*)$/s.exec(spec);
      if (!m) throw new CliError(`--error-page must be STATUS=file.html (or STATUS= to remove it), got "${spec}"`);
      pages[m[1]!] = removes(m[2]!) ? '' : await readPage(m[2]!, `--error-page ${m[1]}`);
    }
    body.errorPages = pages;
  }
  return body;
}

/** "maintenance on (page, 2 allowed), error pages 502, 503" for the `site set` summary. */
export function pagesText(site: Site): string {
  const m = site.maintenance;
  const details = [m?.page !== undefined ? 'own page' : undefined, m?.allowIps?.length ? `${m.allowIps.length} address(es) allowed` : undefined].filter(Boolean);
  const pages = Object.keys(site.errorPages ?? {}).sort();
  return `maintenance ${m?.on ? 'on' : 'off'}${details.length ? ` (${details.join(', ')})` : ''}, error pages ${pages.length ? pages.join(' ') : 'none'}`;
}

async function readPage(file: string, flag: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`${flag}: no such file: ${file}`);
  if (info.size > MAX_PAGE_BYTES) throw new CliError(`${flag}: ${file} is ${info.size} bytes; a page may be at most ${MAX_PAGE_BYTES} (64 KiB)`);
  if (info.size === 0) throw new CliError(`${flag}: ${file} is empty (to remove the page: ${flag === '--maintenance-page' ? '--maintenance-page=' : `${flag}=`})`);
  return readFile(file, 'utf8');
}
