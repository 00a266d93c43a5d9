// corral events: the audit trail and farm events, newest first.
import type { Command } from 'commander';
import type { FarmEvent } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';
import { wholeNumber } from './numbers.ts';

interface EventsOpts {
  json?: boolean;
  limit: string;
  type?: string;
  site?: string;
}

export function registerEvents(program: Command, ctx: Context): void {
  program
    .command('events')
    .description('the audit trail (who changed what) and farm events (crashes, OOM kills, lost engines, failovers)')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'how many, newest first', '50')
    .option('--type <type>', 'audit or farm')
    .option('--site <name>', 'only events of this site')
    .action(async (o: EventsOpts) => {
      const limit = wholeNumber(o.limit, '--limit', { min: 1, max: 2000, expected: 'a number from 1 to 2000' });
      if (o.type !== undefined && o.type !== 'audit' && o.type !== 'farm') throw new CliError(`--type must be audit or farm, got "${o.type}"`);
      const q = new URLSearchParams({ limit: String(limit), ...(o.type ? { type: o.type } : {}), ...(o.site ? { site: o.site } : {}) });
      const res = await ctx.api().get<{ events: FarmEvent[] }>(`/v1/events?${q}`);
      printListing(ctx.print, o.json, res, res.events, ['TIME', 'KIND', 'ACTION', 'WHO', 'TARGET', 'RESULT', 'DETAIL'], (e) => [
        e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.type, e.action, e.principal, e.target,
        e.status !== undefined ? `${e.result} ${e.status}` : e.result, e.message,
      ]);
    });
}
