// A site's settings for people: one "name  value" line each (corral site show, and the
// lines a `site set` changed). Unset settings read "default".
import { tlsModeOf, type Site } from '../../model/index.ts';
import { table } from '../table.ts';
import { pagesText } from './site-pages-flags.ts';
import { retryText } from './retry-flags.ts';
import { hstsText } from './https-flags.ts';
import { autoscaleText } from './autoscale-flags.ts';

type Line = [key: keyof Site | 'pages', label: string, value: (s: Site) => string];

const LINES: Line[] = [
  ['name', 'site', (s) => `${s.name} (${s.kind}, customer ${s.customer})`],
  ['domains', 'domains', (s) => s.domains.join(', ')],
  ['release', 'release', (s) => `${s.release ?? 'none'}${s.previousRelease ? ` (previous ${s.previousRelease})` : ''}`],
  ['replicas', 'replicas', (s) => String(s.replicas)],
  ['command', 'command', (s) => s.command ?? '-'],
  ['healthPath', 'health path', (s) => s.healthPath],
  ['env', 'env', (s) => Object.keys(s.env).sort().join(' ') || '-'],
  ['balance', 'balancing', (s) => (s.balance ? [s.balance.policy, s.balance.hashOn, s.balance.key].filter(Boolean).join(':') + (s.balance.weights ? ` weights ${pairs(s.balance.weights)}` : '') : 'default (round-robin)')],
  ['limits', 'limits', (s) => pairs(s.limits)],
  ['healthCheck', 'health checks', (s) => pairs(s.healthCheck)],
  ['resources', 'resources', (s) => pairs(s.resources)],
  ['egress', 'egress', (s) => s.egress ?? 'default (none)'],
  ['httpsRedirect', 'https redirect', (s) => (s.httpsRedirect ? 'on' : 'off')],
  ['hsts', 'hsts', (s) => hstsText(s.hsts)],
  ['tls', 'tls', (s) => s.tls ?? `default (${tlsModeOf(s)})`],
  ['retry', 'retries', (s) => retryText(s.retry)],
  ['pages', 'pages', (s) => pagesText(s)],
  ['database', 'database', (s) => s.database ?? '-'],
  ['autoscale', 'autoscale', (s) => autoscaleText(s.autoscale)],
  ['pooled', 'pooled', (s) => (s.pooled ? 'yes (the customer\'s shared pool VS on each engine)' : 'no')],
  ['spa', 'spa', (s) => (s.spa ? 'on (a page path naming no file gets /index.html)' : 'off')],

];

/** Every setting, or only those named by `keys` (a PATCH body's keys). */
export function siteText(site: Site, keys?: string[]): string {
  const shown = keys === undefined ? LINES : LINES.filter(([key]) => keys.includes(key) || (key === 'pages' && (keys.includes('maintenance') || keys.includes('errorPages'))));
  return table(['SETTING', 'VALUE'], shown.map(([, label, value]) => [label, value(site)]));
}

/** "a=1 b=2", or "default" for nothing set. */
function pairs(o: object | undefined, sep = '='): string {
  const entries = Object.entries(o ?? {}).filter(([, v]) => v !== undefined);
  return entries.length ? entries.map(([k, v]) => `${k}${sep}${String(v)}`).join(' ') : 'default';
}
