// corral site create|set|show|list|delete, corral scale, corral rollback
import type { Command } from 'commander';
import type { Site } from '../../model/index.ts';
import { RETRY_DEFAULTS } from '../../model/retry-defaults.ts';
import { startChanges } from '../../model/start-settings.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { domainsShort, printColumns, type ListingOpts } from '../output.ts';
import { BALANCE_HELP, balanceBody, WEIGHT_HELP } from './balance-flag.ts';
import { DEFAULT, FIELD_HELP, needsCurrent, parseEnv, resourcesBody, siteFieldsBody, TLS_HELP, tlsFlag, wholeOrDefault, type GuestOpts as GuestFlags, type SiteFieldOpts } from './site-set-flags.ts';
import { siteText } from './site-text.ts';
import { PAGES_HELP, pagesBody, type PagesOpts } from './site-pages-flags.ts';
import { hasRetryFlags, RETRY_HELP, retryBody, type RetryOpts } from './retry-flags.ts';
import { DRAIN_TIMEOUT_HELP, drainTimeoutMs, drainTimeoutText } from './drain-timeout-flag.ts';
import { START_TIMEOUT_HELP, startTimeoutMs } from './start-timeout-flag.ts';
import { hasHstsFlags, HTTPS_HELP, hstsBody, hstsOptions, type HttpsOpts } from './https-flags.ts';
import { AUTOSCALE_HELP, autoscaleBody, autoscaleOptions, hasAutoscaleFlags, type AutoscaleOpts } from './autoscale-flags.ts';
import { NO_POOLED_HELP, POOLED_HELP, pooledBody } from './pooled-flag.ts';
import { newName } from './names.ts';
import { wholeNumber } from './numbers.ts';
import { awaitRollout, waitOptions, waitTimeoutMs, type WaitOpts } from './rollout-wait.ts';
import { DEFAULT_VS_MEMORY_MB } from '../../model/vs-memory.ts';

interface CreateOpts extends GuestOpts, HttpsOpts, AutoscaleOpts {
  httpsRedirect?: string;
  customer?: string;
  domain: string[];
  kind: string;
  replicas?: string;
  command?: string;
  health?: string;
  env: string[];
  balance?: string;
  weight: string[];
  tls?: string;
  json?: boolean;
  pooled?: boolean;
  spa?: boolean;
}

/** The guest's flags, and --drain-timeout, which create and set share too. */
interface GuestOpts extends GuestFlags {
  drainTimeout?: string;
  startTimeout?: string;
}

interface SetOpts extends SiteFieldOpts, PagesOpts, RetryOpts, HttpsOpts, AutoscaleOpts, WaitOpts {
  drainTimeout?: string;
  startTimeout?: string;
  tls?: string;
  balance?: string;
  weight: string[];
  json?: boolean;
  pooled?: boolean;
  spa?: boolean;
}

export function registerSite(program: Command, ctx: Context): void {
  const site = program.command('site').description('manage sites');
  autoscaleOptions(hstsOptions(guestOptions(site.command('create <name>'))))
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
    .option('--https-redirect <on|off>', 'plain HTTP gets a 308 to the same URL over HTTPS (once the site has a valid certificate)')
    .option('--tls <auto|off|manual>', TLS_HELP)
    .addHelpText('after', GUEST_HELP + HTTPS_HELP + AUTOSCALE_HELP)
    .option('--pooled', POOLED_HELP)
    .option('--no-pooled', NO_POOLED_HELP)
    .option('--spa', SPA_HELP)
    .option('--no-spa', NO_SPA_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, o: CreateOpts) => {
      newName('site', name);
      // no default: localhost names are the farm's own, and no site may claim them
      if (o.domain.length === 0) throw new CliError('corral site create needs --domain <host> (a name such as www.example.com; repeatable)');
      const body: Record<string, unknown> = { name, kind: o.kind, domains: o.domain };
      if (o.customer) body.customer = o.customer;
      Object.assign(body, pooledBody(o.pooled));
      if (o.spa !== undefined) body.spa = o.spa;
      if (o.tls !== undefined) body.tls = tlsFlag(o.tls);
      if (o.replicas !== undefined) body.replicas = wholeOrDefault(o.replicas, '--replicas');
      if (o.command) body.command = o.command;
      if (o.health) body.healthPath = o.health;
      if (o.env.length) body.env = parseEnv(o.env);
      if (o.balance !== undefined) body.balance = balanceBody(o.balance, o.weight);
      else if (o.weight.length) throw new CliError('--weight goes with --balance weighted');
      Object.assign(body, guestBody(o));
      if (o.httpsRedirect !== undefined) {
        if (o.httpsRedirect !== 'on' && o.httpsRedirect !== 'off') throw new CliError(`--https-redirect must be on or off, got "${o.httpsRedirect}"`);
        body.httpsRedirect = o.httpsRedirect === 'on';
      }
      if (hasHstsFlags(o)) {
        const hsts = hstsBody(o, undefined);
        if (Object.keys(hsts).length > 0) body.hsts = hsts;
      }
      if (hasAutoscaleFlags(o)) {
        const autoscale = autoscaleBody(o, { replicas: body.replicas as number | undefined ?? 1 });
        if (Object.keys(autoscale).length > 0) body.autoscale = autoscale;
      }
      const res = await ctx.api().post<{ site: Site }>('/v1/sites', body);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      if (ctx.quiet()) return ctx.print.out(res.site.name);
      const count = res.site.autoscale ? `autoscaled ${res.site.autoscale.minReplicas}–${res.site.autoscale.maxReplicas} replicas` : `${res.site.replicas} replica(s)`;
      ctx.print.out(`site ${res.site.name} created (${res.site.kind}, ${count}) for ${res.site.domains.join(', ')}`);
      ctx.print.out(`next: corral deploy <dir> --site ${res.site.name}`);
    });
  const set = autoscaleOptions(hstsOptions(guestOptions(site.command('set <name>'))))
    .description("change a site's settings: domains, command, env, health checks, replicas, router settings (balancing, limits, retries, pages) and guest resources")
    .option('--domain <host>', 'replace the domains with these (repeatable)', collect, [])
    .option('--add-domain <host>', 'add a domain (repeatable)', collect, [])
    .option('--remove-domain <host>', 'remove a domain (repeatable)', collect, [])
    .option('--replicas <n>', 'number of virtual servers')
    .option('--command <cmd>', 'app sites: the command to run, listening on $PORT (new virtual servers run it)')
    .option('--health <path>', "the engine's (and, unless --health-check-path, the router's) health-check path")
    .option('--env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', collect, [])
    .option('--balance <policy>', `${BALANCE_HELP}; default: round-robin`)
    .option('--weight <ENGINE=N>', WEIGHT_HELP, collect, [])
    .option('--max-body-bytes <n>', 'largest request body (413 beyond)')
    .option('--max-header-bytes <n>', 'largest request header section, 256–16384 (431 beyond)')
    .option('--rate <n>', 'requests per second per router process (429 beyond); default: no limit')
    .option('--burst <n>', 'with --rate: bucket size (default the rate)')
    .option('--health-check <on|off>', "the router's active health checks (default on)")
    .option('--health-check-path <path>', "the router's health-check path (default: --health)")
    .option('--health-interval <duration>', 'time between the router\'s checks, e.g. 5s')
    .option('--health-timeout <duration>', 'how long a check may take, e.g. 2s')
    .option('--health-rise <n>', 'passing checks before an endpoint is up again')
    .option('--health-fall <n>', 'failing checks before an endpoint is down')
    .option('--health-status <code>', 'the status a check expects (default any 2xx/3xx)')
    .option('--https-redirect <on|off>', 'plain HTTP gets a 308 to the same URL over HTTPS (once the site has a valid certificate)')
    .option('--tls <auto|off|manual>', TLS_HELP)
    .option('--per-try-timeout <duration|off>', 'each try of a bodiless idempotent request waits this long for headers (e.g. 2s, 500ms), then the next endpoint')
    .option('--retry-budget <ratio>', `retries may add at most this share of the requests, 0–1 (default ${RETRY_DEFAULTS.budgetRatio})`)
    .option('--min-retries <n>', `retries allowed per second whatever the budget (default ${RETRY_DEFAULTS.minRetriesPerSecond})`)
    .option('--max-tries <n>', 'tries per request, 1–10 (default: the endpoint count, at least 2)')
    .option('--maintenance <on|off>', 'maintenance mode: the router answers 503 with the maintenance page')
    .option('--maintenance-page <file.html>', 'the maintenance page (HTML, at most 64 KiB; default removes it)')
    .option('--maintenance-allow <ip,ip>', 'client addresses or CIDR blocks that still reach the site in maintenance (default clears the list)')
    .option('--db <name>', "the customer's database the site's virtual servers get (DATABASE_URL, PG*; the site rolls); default unbinds it")
    .option('--error-page <STATUS=file.html>', "the site's page for a router error: 400, 413, 429, 431, 502, 503 or 504 (repeatable; STATUS=default removes it)", collect, [])
    .option('--json', 'print the site as JSON')
    .option('--pooled', POOLED_HELP)
    .option('--no-pooled', NO_POOLED_HELP)
    .option('--spa', SPA_HELP)
    .option('--no-spa', NO_SPA_HELP);
  waitOptions(set, 'return once changed, without following the rollout of new servers')
    .addHelpText('after', FIELD_HELP + ROLLOUT_HELP + GUEST_HELP + PAGES_HELP + RETRY_HELP + HTTPS_HELP + AUTOSCALE_HELP)
    .action(async (name: string, o: SetOpts) => {
      const path = `/v1/sites/${encodeURIComponent(name)}`;
      const timeoutMs = waitTimeoutMs(o);
      // the site before the change: what it changes of how servers start says whether to wait
      const current = needsCurrent(o) || hasRetryFlags(o) || hasHstsFlags(o) || hasAutoscaleFlags(o) || startFlags(o) ? (await ctx.api().get<{ site: Site }>(path)).site : undefined;
      const body = siteFieldsBody(o, current);
      if (o.drainTimeout !== undefined) body.drainTimeoutMs = drainTimeoutMs(o.drainTimeout === DEFAULT ? '5' : o.drainTimeout);
      if (o.startTimeout !== undefined) body.startTimeoutMs = startTimeoutMs(o.startTimeout === DEFAULT ? '30' : o.startTimeout);
      if (o.tls !== undefined) body.tls = tlsFlag(o.tls);
      if (o.balance !== undefined) body.balance = o.balance === DEFAULT ? balanceBody('round-robin', o.weight) : balanceBody(o.balance, o.weight);
      else if (o.weight.length) throw new CliError('--weight goes with --balance weighted');
      Object.assign(body, await pagesBody(o));
      if (hasRetryFlags(o)) body.retry = retryBody(o, current?.retry);
      if (hasHstsFlags(o)) body.hsts = hstsBody(o, current?.hsts);
      if (hasAutoscaleFlags(o)) body.autoscale = autoscaleBody(o, current);
      Object.assign(body, pooledBody(o.pooled));
      if (o.spa !== undefined) body.spa = o.spa;
      if (Object.keys(body).length === 0) throw new CliError('nothing to set: give at least one setting (see corral site set --help)');
      const started = Date.now();
      const res = await ctx.api().patch<{ site: Site }>(path, body);
      if (!o.json) {
        ctx.say(`site ${res.site.name} updated`);
        if (res.site.drainTimeoutMs !== undefined && o.drainTimeout !== undefined) ctx.say(`site ${res.site.name}: drain timeout ${drainTimeoutText(res.site.drainTimeoutMs)}`);
        ctx.say(siteText(res.site, Object.keys(body)));
      }
      // new servers start only for a site with a release, and only for what changes how they start
      const release = res.site.release;
      const changes = current && release !== undefined ? startChanges(current, res.site) : [];
      const rollout = `${res.site.name}'s new ${changes.join(', ')}`;
      const say = (line: string) => (o.json ? undefined : ctx.say(line));
      if (changes.length > 0 && release !== undefined) {
        if (!o.wait) say(`rolling out ${rollout} (not waited for: corral status ${res.site.name} shows when it serves)`);
        else if (await awaitRollout(ctx, res.site.name, { release, settings: { site: res.site, changes } }, timeoutMs, o)) say(`rolled out ${rollout} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        else say(`rolling out ${rollout} (not followed: this controller does not say when new servers serve; corral status ${res.site.name} shows it)`);
      }
      if (o.json) ctx.print.out(JSON.stringify(res, null, 2));
    });
  site
    .command('show <name>')
    .description("a site's settings")
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().get<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}`);
      ctx.print.out(o.json ? JSON.stringify(res, null, 2) : siteText(res.site));
    });
  site
    .command('list')
    .description('list sites')
    .option('--json', 'print JSON')
    .option('--wide', 'also the customer and every domain (default: the first and a count)')
    .action(async (o: ListingOpts) => {
      const res = await ctx.api().get<{ sites: Site[] }>('/v1/sites');
      printColumns(ctx, o, res, res.sites, [
        { header: 'SITE', value: (s) => s.name },
        { header: 'CUSTOMER', value: (s) => s.customer, wide: true },
        { header: 'KIND', value: (s) => s.kind },
        { header: 'REPLICAS', value: (s) => s.replicas },
        { header: 'RELEASE', value: (s) => s.release },
        { header: 'DOMAINS', value: (s) => (o.wide ? s.domains.join(',') : domainsShort(s.domains)) },
        { header: 'MAINTENANCE', value: (s) => (s.maintenance?.on ? 'on' : '-') },
      ]);
    });
  site
    .command('delete <name>')
    .description('delete a site, its releases and its virtual servers')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      await ctx.api().delete(`/v1/sites/${encodeURIComponent(name)}`);
      if (o.json) return ctx.print.out(JSON.stringify({ site: name, deleted: true }));
      ctx.say(`site ${name} deleted`);
    });

  program
    .command('scale <site> <replicas>')
    .description('set the number of virtual servers of a site (0–20)')
    .option('--json', 'print the site as JSON')
    .action(async (name: string, n: string, o: { json?: boolean }) => {
      const res = await ctx.api().post<{ site: Site }>(`/v1/sites/${encodeURIComponent(name)}/scale`, { replicas: wholeNumber(n, 'replicas') });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.say(`site ${res.site.name} scaled to ${res.site.replicas} replica(s)`);
    });
  const rollback = program
    .command('rollback <site>')
    .description('go back to the previous release, or --to a given one (rolled out like a deploy)')
    .option('--to <release>', 'the release to serve, e.g. v3 (see corral releases <site>)');
  waitOptions(rollback, 'return once the release is activated, without following its rollout')
    .option('--json', 'print the site as JSON')
    .action(async (name: string, o: WaitOpts & { to?: string; json?: boolean }) => {
      const path = `/v1/sites/${encodeURIComponent(name)}`;
      if (o.to !== undefined && !/^v[1-9][0-9]{0,9}$/.test(o.to)) throw new CliError(`--to must be a release id such as v3, got "${o.to}"`);
      const timeoutMs = waitTimeoutMs(o);
      const before = o.to !== undefined ? (await ctx.api().get<{ site: Site }>(path)).site : undefined;
      if (before && before.release === o.to) return o.json ? ctx.print.out(JSON.stringify({ site: before }, null, 2)) : ctx.say(`site ${name} already serves ${o.to}`);
      const started = Date.now();
      const res = o.to !== undefined
        ? await ctx.api().post<{ site: Site }>(`${path}/releases/${o.to}/activate`, {})
        : await ctx.api().post<{ site: Site }>(`${path}/rollback`, {});
      const release = res.site.release;
      if (!o.json) ctx.say(`site ${res.site.name} rolling back to release ${release ?? '-'} (from ${res.site.previousRelease ?? '-'})${o.wait ? '' : ` (not waited for: corral status ${res.site.name} shows when it serves)`}`);
      if (o.wait && release !== undefined) {
        await awaitRollout(ctx, res.site.name, { release }, timeoutMs, o);
        if (!o.json) ctx.say(`rolled back ${res.site.name} to ${release} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      if (o.json) ctx.print.out(JSON.stringify(res, null, 2));
    });
}

/** Adds the guest options to a command (create and set share them). */
function guestOptions(cmd: Command): Command {
  return cmd
    .option('--memory <MiB>', `guest memory limit in MiB (enforced by the namespace runtime; the scheduler reserves it on the engine; default ${DEFAULT_VS_MEMORY_MB})`)
    .option('--cpu <cores>', 'guest CPU cap in cores, fractional, e.g. 0.5 (namespace runtime)')
    .option('--pids <n>', 'guest process/thread limit (namespace runtime)')
    .option('--tmp <MiB>', 'size of the guest private /tmp in MiB (namespace runtime)')
    .option('--disk <MiB>', 'quota of the site data folder in MiB (namespace runtime)')
    .option('--egress <policy>', 'outbound: none (default) or engine (may connect to the engine bridge address)')
    .option('--drain-timeout <seconds>', DRAIN_TIMEOUT_HELP)
    .option('--start-timeout <seconds>', START_TIMEOUT_HELP);
}

const GUEST_HELP = '\nGuest resources and egress apply to virtual servers started after the change; the process runtime ignores them.';

const ROLLOUT_HELP = `
A new command, health path, start timeout, env, database or pooling (or spa, for a static
site with servers of its own; a pooled site's pools change in place) rolls out new servers
(the old ones serve until every new one is ready): the command waits for that, up to
--timeout, and fails naming what the new servers do if they never get ready (the old ones
serve on) — before --timeout once they crash-loop, unless --no-fail-fast; --no-wait
returns at once. Other settings take effect without new servers.`;

/** Flags that may change how the site's servers start (--env and --unset-env read the site anyway). */
function startFlags(o: SetOpts): boolean {
  return o.command !== undefined || o.health !== undefined || o.startTimeout !== undefined || o.db !== undefined || o.pooled !== undefined || o.spa !== undefined;
}

const SPA_HELP = 'static sites: a single-page app — a page path that names no file (no extension, a client taking HTML) gets /index.html with 200; a missing asset stays 404';
const NO_SPA_HELP = 'static sites: a path that names no file is a 404 (the default)';

function guestBody(o: GuestOpts): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const resources = resourcesBody(o);
  if (resources) {
    if (Object.values(resources).includes(null)) throw new CliError(`a new site has no resources to remove: leave out the flags with "${DEFAULT}"`);
    body.resources = resources;
  }
  if (o.egress !== undefined) {
    if (o.egress !== 'none' && o.egress !== 'engine') throw new CliError(`--egress must be none or engine, got "${o.egress}"`);
    body.egress = o.egress;
  }
  if (o.drainTimeout !== undefined) body.drainTimeoutMs = drainTimeoutMs(o.drainTimeout);
  if (o.startTimeout !== undefined) body.startTimeoutMs = startTimeoutMs(o.startTimeout);
  return body;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
