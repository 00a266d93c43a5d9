// corral customer create|list
import type { Command } from 'commander';
import type { Customer } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { printListing } from '../output.ts';

export function registerCustomer(program: Command, ctx: Context): void {
  const customer = program.command('customer').description('manage customers (admin)');
  customer
    .command('create <name>')
    .description('create a customer and print its first token')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().post<{ customer: Customer; token: string }>('/v1/customers', { name });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(`customer ${res.customer.id} created`);
      ctx.print.out(`token: ${res.token}`);
      ctx.print.out('(shown once: give it to the customer; they use it as CORRAL_TOKEN)');
    });
  customer
    .command('list')
    .description('list customers')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ customers: Customer[] }>('/v1/customers');
      printListing(ctx.print, o.json, res, res.customers, ['CUSTOMER', 'CREATED'], (c) => [c.id, c.createdAt]);
    });
  customer
    .command('token <name>')
    .description('create another token for a customer')
    .action(async (name: string) => {
      const res = await ctx.api().post<{ token: string }>(`/v1/customers/${encodeURIComponent(name)}/tokens`, {});
      ctx.print.out(res.token);
    });
}
