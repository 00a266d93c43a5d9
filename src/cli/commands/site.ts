// corral site create|list|show|delete, corral scale, corral rollback
import type { Command } from 'commander';
import type { Site } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';
import { BALANCE_HELP, balanceBody, WEIGHT_HELP } from './balance-flag.ts';
import { PAGES_HELP, pagesBody, pagesText, type PagesOpts } from './site-pages-flags.ts';
import { hasRetryFlags, RETRY_HELP, retryBody, retryText, type RetryOpts } from './retry-flags.ts';
import { DRAIN_TIMEOUT_HELP, drainTimeoutMs, drainTimeoutText } from './drain-timeout-flag.ts';

interface CreateOpts extends GuestOpts {
  customer?: string;
  domain: string[];
  kind: string;
  replicas?: string;
  command?: string;
  health?: string;
  env: string[];
  balance?: string;
  weight: string[];
  json?: boolean;
}

/** The guest's resources and outbound policy (namespace runtime). */
interface GuestOpts {
  memory?: string;
  cpu?: string;
  pids?: string;
  tmp?: string;
  disk?: string;
  egress?: string;
  /** Not a guest setting, but create and set share it too. */
  drainTimeout?: string;
}

interface SetOpts extends GuestOpts, PagesOpts, RetryOpts {
  balance?: string;
  weight: string[];
  maxBodyBytes?: string;
  maxHeaderBytes?: string;
  rate?: string;
  burst?: string;
  httpsRedirect?: string;
}

export function registerSite(program: Command, ctx: Context): void {
  const site = program.command('site').description('manage sites');
  guestOptions(site.command('create <name>'))
    .description('create a site')
    .option('--customer <id>', 'owner (admin tokens only; a customer token implies it)')
    .option('--domain <host>', 'a domain it answers (required, repeatable; *.example.com allowed; not localhost, an IP address or a public suffix)', collect, [])
    .option('--kind <kind>', 'static or app', 'static')
    .option('--replicas <n>', 'number of virtual servers')
    .option('--command <cmd>', 'app sites: the command to run, listening on $PORT')
    .option('--health <path>', 'app sites: health-check path')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--balance <policy>', BALANCE_HELP)
    .option('--weight <ENGINE=N>', WEIGHT_HELP, collect, [])
    .addHelpText('after', GUEST_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, o: CreateOpts) => {
      // no default: localhost names are the farm's own, and no site may claim them
      if (o.domain.length === 0) throw new CliError('corral site create needs --domain <host> (a name such as www.example.com; repeatable)');
      const body: Record<string, unknown> = { name, kind: o.kind, domains: o.domain };
      if (o.customer) body.customer = o.customer;
      if (o.replicas !== undefined) body.replicas = toInt(o.replicas, '--replicas');
      if (o.command) body.command = o.command;
      if (o.health) body.healthPath = o.health;
      if (o.env.length) body.env = parseEnv(o.env);
      if (o.balance !== undefined) body.balance = balanceBody(o.balance, o.weight);
      else if (o.weight.length) throw new CliError('--weight goes with --balance weighted');
      Object.assign(body, guestBody(o));
      const res = await ctx.api().post<{ site: Site }>('/v1/sites', body);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(`site ${res.site.name} created (${res.site.kind}, ${res.site.replicas} replica(s)) for ${res.site.domains.join(', ')}`);
      ctx.print.out(`next: corral deploy <dir> --site ${res.site.name}`);
    });
  guestOptions(site.command('set <name>'))
    .description("change a site's router settings (balancing, limits) and its guests' resources (new virtual servers get them)")
    .option('--balance <policy>', BALANCE_HELP)
    .option('--weight <ENGINE=N>', WEIGHT_HELP, collect, [])
    .option('--max-body-bytes <n>', 'largest request body (413 beyond)')
    .option('--max-header-bytes <n>', 'largest request header section, 256–16384 (431 beyond)')
    .option('--rate <n>', 'requests per second per router process (429 beyond)')
    .option('--burst <n>', 'with --rate: bucket size (default the rate)')
    .option('--https-redirect <on|off>', 'plain HTTP gets a 308 to the same URL over HTTPS')
    .option('--per-try-timeout <duration|off>', 'each try of a bodiless idempotent request waits this long for headers (e.g. 2s, 500ms), then the next endpoint')
    .option('--retry-budget <ratio>', 'retries may add at most this share of the requests, 0–1 (default 0.2)')
    .option('--min-retries <n>', 'retries allowed per second whatever the budget (default 10)')
    .option('--max-tries <n>', 'tries per request, 1–10 (default: the endpoint count, at least 2)')
    .option('--maintenance <on|off>', 'maintenance mode: the router answers 503 with the maintenance page')
    .option('--maintenance-page <file.html>', 'the maintenance page (HTML, at most 64 KiB; an empty value removes it)')
    .option('--maintenance-allow <ip,ip>', 'client addresses or CIDR blocks that still reach the site in maintenance (empty: none)')
    .option('--error-page <STATUS=file.html>', "the site's page for a router error: 400, 413, 429, 431, 502, 503 or 504 (repeatable; STATUS= removes it)", collect, [])
    .addHelpText('after', GUEST_HELP + PAGES_HELP + RETRY_HELP)
    .action(async (name: string, o: SetOpts) => {
      const body: Record<string, unknown> = {};
      if (o.balance !== undefined) body.balance = balanceBody(o.balance, o.weight);
      else if (o.weight.length) throw new CliError('--weight goes with --balance weighted');
      const limits: Record<string, number> = {};
      if (o.maxBodyBytes !== undefined) limits.maxBodyBytes = toInt(o.maxBodyBytes, '--max-body-bytes');
      if (o.maxHeaderBytes !== undefined) limits.maxHeaderBytes = toInt(o.maxHeaderBytes, '--max-header-bytes');
      if (o.rate !== undefined) limits.requestsPerSecond = toInt(o.rate, '--rate');
      if (o.burst !== undefined) limits.burst = toInt(o.burst, '--burst');
      if (Object.keys(limits).length) body.limits = limits;
      Object.assign(body, guestBody(o));
      if (o.httpsRedirect !== undefined) {
        if (o.httpsRedirect !== 'on' && o.httpsRedirect !== 'off') throw new CliError(`--https-redirect must be on or off, got "${o.httpsRedirect}"`);
        body.httpsRedirect = o.httpsRedirect === 'on';
      }
      Object.assign(body, await pagesBody(o));
      if (hasRetryFlags(o)) body.retry = retryBody(o, (await ctx.api().get<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}`)).site.retry);
      if (Object.keys(body).length === 0) throw new CliError('nothing to set: give --balance, a limit, --https-redirect, --maintenance, --error-page, a retry setting, --drain-timeout or a guest resource (see --help)');
      const res = await ctx.api().patch<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}`, body);
      if (res.site.drainTimeoutMs !== undefined && o.drainTimeout !== undefined) ctx.print.out(`site ${res.site.name}: drain timeout ${drainTimeoutText(res.site.drainTimeoutMs)}`);
      ctx.print.out(`site ${res.site.name}: balancing ${res.site.balance?.policy ?? 'round-robin'}, limits ${JSON.stringify(res.site.limits ?? {})}, resources ${JSON.stringify(res.site.resources ?? {})}, egress ${res.site.egress ?? 'none'}, https redirect ${res.site.httpsRedirect ? 'on' : 'off'}, ${pagesText(res.site)}, ${retryText(res.site.retry)}`);
    });
  site
    .command('list')
    .description('list sites')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ sites: Site[] }>('/v1/sites');
      printListing(ctx.print, o.json, res, res.sites, ['SITE', 'CUSTOMER', 'KIND', 'REPLICAS', 'RELEASE', 'DOMAINS', 'MAINTENANCE'], (s) => [
        s.name, s.customer, s.kind, s.replicas, s.release, s.domains.join(','), s.maintenance?.on ? 'on' : '-',
      ]);
    });
  site
    .command('delete <name>')
    .description('delete a site, its releases and its virtual servers')
    .action(async (name: string) => {
      await ctx.api().delete(`/v1/sites/${encodeURIComponent(name)}`);
      ctx.print.out(`site ${name} deleted`);
    });

  program
    .command('scale <site> <replicas>')
    .description('set the number of virtual servers of a site')
    .action(async (name: string, n: string) => {
      const res = await ctx.api().post<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}/scale`, { replicas: toInt(n, 'replicas') });
      ctx.print.out(`site ${res.site.name} scaled to ${res.site.replicas} replica(s)`);
    });
  program
    .command('rollback <site>')
    .description('go back to the previous release (rolled out like a deploy)')
    .action(async (name: string) => {
      const res = await ctx.api().post<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}/rollback`, {});
      ctx.print.out(`site ${res.site.name} rolling back to release ${res.site.release ?? '-'}`);
    });
}

/** Adds the guest options to a command (create and set share them). */
function guestOptions(cmd: Command): Command {
  return cmd
    .option('--memory <MiB>', 'guest memory limit in MiB (namespace runtime)')
    .option('--cpu <cores>', 'guest CPU cap in cores, fractional, e.g. 0.5 (namespace runtime)')
    .option('--pids <n>', 'guest process/thread limit (namespace runtime)')
    .option('--tmp <MiB>', 'size of the guest private /tmp in MiB (namespace runtime)')
    .option('--disk <MiB>', 'quota of the site data folder in MiB (namespace runtime)')
    .option('--egress <policy>', 'outbound: none (default) or engine (may connect to the engine bridge address)')
    .option('--drain-timeout <seconds>', DRAIN_TIMEOUT_HELP);
}

const GUEST_HELP = '\nGuest resources and egress apply to virtual servers started after the change; the process runtime ignores them.';

function guestBody(o: GuestOpts): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const r: Record<string, number> = {};
  if (o.memory !== undefined) r.memoryMb = toInt(o.memory, '--memory');
  if (o.cpu !== undefined) {
    const n = Number(o.cpu);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`--cpu must be a positive number of cores, got "${o.cpu}"`);
    r.cpu = n;
  }
  if (o.pids !== undefined) r.pids = toInt(o.pids, '--pids');
  if (o.tmp !== undefined) r.tmpMb = toInt(o.tmp, '--tmp');
  if (o.disk !== undefined) r.diskMb = toInt(o.disk, '--disk');
  if (Object.keys(r).length) body.resources = r;
  if (o.egress !== undefined) {
    if (o.egress !== 'none' && o.egress !== 'engine') throw new CliError(`--egress must be none or engine, got "${o.egress}"`);
    body.egress = o.egress;
  }
  if (o.drainTimeout !== undefined) body.drainTimeoutMs = drainTimeoutMs(o.drainTimeout);
  return body;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function toInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${what} must be a whole number, got "${v}"`);
  return n;
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--env wants KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
