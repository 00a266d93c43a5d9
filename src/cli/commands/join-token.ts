// corral join-token create|list|revoke (admin): the tokens engines and routers join with.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { printListing } from '../output.ts';
import { positiveInt } from './cluster-options.ts';

interface JoinToken {
  id: string;
  name: string;
  createdAt: string;
  expiresAt?: string;
}

export function registerJoinToken(program: Command, ctx: Context): void {
  const jt = program.command('join-token').description('manage the tokens engines and routers join the farm with (admin)');
  jt.command('create')
    .description('create a join token (shown once)')
    .option('--name <name>', 'a label', 'join')
    .option('--ttl <seconds>', 'expire after this many seconds (default: until revoked)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; ttl?: string; json?: boolean }) => {
      const ttl = positiveInt(o.ttl, '--ttl');
      const res = await ctx.api().post<{ token: string; joinToken: JoinToken }>('/v1/join-tokens', { name: o.name, ...(ttl ? { ttlSeconds: ttl } : {}) });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(`join token ${res.joinToken.id} created`);
      ctx.print.out(`token: ${res.token}`);
      ctx.print.out('(shown once: corral engine --join <controller-url> --token <token>)');
    });
  jt.command('list')
    .description('list join tokens')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ joinTokens: JoinToken[] }>('/v1/join-tokens');
      printListing(ctx.print, o.json, res, res.joinTokens, ['ID', 'NAME', 'CREATED', 'EXPIRES'], (t) => [t.id, t.name, t.createdAt, t.expiresAt]);
    });
  jt.command('revoke <id>')
    .description('revoke a join token (engines already joined keep running)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await ctx.api().delete(`/v1/join-tokens/${encodeURIComponent(id)}`);
      ctx.print.out(o.json ? JSON.stringify({ joinToken: id, revoked: true }) : `join token ${id} revoked`);
    });
}
