// corral site create|list|show|delete, corral scale, corral rollback
import type { Command } from 'commander';
import type { Site } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';

interface CreateOpts {
  customer?: string;
  domain: string[];
  kind: string;
  replicas?: string;
  command?: string;
  health?: string;
  env: string[];
  json?: boolean;
}

export function registerSite(program: Command, ctx: Context): void {
  const site = program.command('site').description('manage sites');
  site
    .command('create <name>')
    .description('create a site')
    .option('--customer <id>', 'owner (admin tokens only; a customer token implies it)')
    .option('--domain <host>', 'a domain it answers (repeatable; *.example.com allowed)', collect, [])
    .option('--kind <kind>', 'static or app', 'static')
    .option('--replicas <n>', 'number of virtual servers')
    .option('--command <cmd>', 'app sites: the command to run, listening on $PORT')
    .option('--health <path>', 'app sites: health-check path')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (name: string, o: CreateOpts) => {
      const body: Record<string, unknown> = { name, kind: o.kind, domains: o.domain.length ? o.domain : [`${name}.localhost`] };
      if (o.customer) body.customer = o.customer;
      if (o.replicas !== undefined) body.replicas = toInt(o.replicas, '--replicas');
      if (o.command) body.command = o.command;
      if (o.health) body.healthPath = o.health;
      if (o.env.length) body.env = parseEnv(o.env);
      const res = await ctx.api().post<{ site: Site }>('/v1/sites', body);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(`site ${res.site.name} created (${res.site.kind}, ${res.site.replicas} replica(s)) for ${res.site.domains.join(', ')}`);
      ctx.print.out(`next: corral deploy <dir> --site ${res.site.name}`);
    });
  site
    .command('list')
    .description('list sites')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ sites: Site[] }>('/v1/sites');
      printListing(ctx.print, o.json, res, res.sites, ['SITE', 'CUSTOMER', 'KIND', 'REPLICAS', 'RELEASE', 'DOMAINS'], (s) => [
        s.name, s.customer, s.kind, s.replicas, s.release, s.domains.join(','),
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
