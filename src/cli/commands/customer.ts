// corral customer create|list|token|tokens|revoke-token|delete
import type { Command } from 'commander';
import type { Customer, Site } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { ApiError, CliError } from '../errors.ts';
import { printColumns, type ListingOpts } from '../output.ts';
import { confirm } from '../confirm.ts';
import { newName } from './names.ts';

export function registerCustomer(program: Command, ctx: Context): void {
  const customer = program.command('customer').description('manage customers (admin)');
  customer
    .command('create <name>')
    .description('create a customer and print its first token')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().post<{ customer: Customer; token: string }>('/v1/customers', { name: newName('customer', name) });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      if (ctx.quiet()) return ctx.print.out(res.token);
      ctx.print.out(`customer ${res.customer.id} created`);
      ctx.print.out(`token: ${res.token}`);
      ctx.print.out('(shown once: give it to the customer; they use it as CORRAL_TOKEN)');
    });
  customer
    .command('list')
    .description('list customers')
    .option('--json', 'print JSON')
    .action(async (o: ListingOpts) => {
      const res = await ctx.api().get<{ customers: Customer[] }>('/v1/customers');
      printColumns(ctx, o, res, res.customers, [
        { header: 'CUSTOMER', value: (c) => c.id },
        { header: 'CREATED', value: (c) => c.createdAt },
      ]);
    });
  customer
    .command('token <name>')
    .description('create another token for a customer (a customer may, for itself); shown once')
    .option('--name <label>', 'what the token is for, shown by `corral customer tokens` (default: token)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { name?: string; json?: boolean }) => {
      const res = await ctx.api().post<{ token: string }>(tokensPath(name), o.name === undefined ? {} : { name: o.name });
      ctx.print.out(o.json ? JSON.stringify(res, null, 2) : res.token);
    });
  customer
    .command('tokens <name>')
    .description("list a customer's tokens: id, label, when made, and which one this command used (a customer may, for itself)")
    .option('--json', 'print JSON')
    .action(async (name: string, o: ListingOpts) => {
      const res = await ctx.api().get<{ tokens: TokenListing[] }>(tokensPath(name));
      printColumns(ctx, o, res, res.tokens, [
        { header: 'ID', value: (x) => x.id },
        { header: 'NAME', value: (x) => x.name },
        { header: 'CREATED', value: (x) => x.createdAt },
        { header: 'IN USE', value: (x) => (x.current ? 'this one' : '') },
      ]);
    });
  customer
    .command('revoke-token <name> <id>')
    .description('revoke one of a customer\'s tokens by its id (from `corral customer tokens`): it stops working at once')
    .option('--json', 'print JSON')
    .action(async (name: string, id: string, o: { json?: boolean }) => {
      await ctx.api().delete(`${tokensPath(name)}/${encodeURIComponent(id)}`);
      if (o.json) return ctx.print.out(JSON.stringify({ customer: name, token: id, revoked: true }));
      ctx.say(`token ${id} of customer ${name} revoked`);
    });
  customer
    .command('delete <name>')
    .description('delete a customer and its tokens (refused while it has sites, unless --cascade)')
    .option('--cascade', 'also delete its sites, their releases and virtual servers (asks first)')
    .option('-y, --yes', 'with --cascade: do not ask')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { cascade?: boolean; yes?: boolean; json?: boolean }) => {
      const path = `/v1/customers/${encodeURIComponent(name)}`;
      if (o.cascade && !o.yes) {
        const sites = (await ctx.api().get<{ sites: Site[] }>('/v1/sites')).sites.filter((s) => s.customer === name).map((s) => s.name);
        const what = sites.length ? `customer ${name} and its ${sites.length} site(s): ${sites.join(', ')}` : `customer ${name}`;
        if (!(await confirm(ctx, `Delete ${what}? This cannot be undone. [y/N] `))) throw new CliError('not deleted');
      }
      const res = await ctx.api().delete<{ customer: Customer; deletedSites: string[] }>(`${path}${o.cascade ? '?cascade=true' : ''}`).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'customer_has_sites') throw new CliError(err.message.replace('pass cascade=true', `run corral customer delete ${name} --cascade`));
        throw err;
      });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.say(`customer ${name} deleted${res.deletedSites.length ? ` with its sites ${res.deletedSites.join(', ')}` : ''}; its tokens no longer work`);
    });
}

interface TokenListing {
  id: string;
  name: string;
  createdAt: string;
  current: boolean;
}

function tokensPath(customer: string): string {
  return `/v1/customers/${encodeURIComponent(customer)}/tokens`;
}
