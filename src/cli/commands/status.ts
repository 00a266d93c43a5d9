// corral status, corral vs list
import type { Command } from 'commander';
import type { EngineRecord, Site, VsStatus } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { printListing } from '../output.ts';
import { table } from '../table.ts';

export type VsView = Partial<VsStatus> & { vs: string; site: string; engine: string; release: string; customer?: string; kind?: string };

export interface SiteStatus {
  site: Site;
  release?: string;
  replicas: number;
  ready: number;
  /** Releases of the endpoints the router currently balances over. */
  serving?: string[];
  virtualServers: VsView[];
}

interface FarmStatus {
  engines: EngineRecord[];
  sites: Site[];
  virtualServers: VsView[];
}

export function registerStatus(program: Command, ctx: Context): void {
  program
    .command('status')
    .description('the farm at a glance: engines, sites and virtual servers')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const st = await ctx.api().get<FarmStatus>('/v1/status');
      if (o.json) return ctx.print.out(JSON.stringify(st, null, 2));
      const vsOf = (site: string) => st.virtualServers.filter((v) => v.site === site);
      ctx.print.out(`engines: ${st.engines.map((e) => `${e.id} (${e.runtime})`).join(', ') || 'none'}`);
      ctx.print.out('');
      ctx.print.out(st.sites.length === 0 ? 'no sites yet: corral site create <name>' : table(
        ['SITE', 'KIND', 'RELEASE', 'READY', 'DOMAINS'],
        st.sites.map((s) => [
          s.name, s.kind, s.release,
          `${vsOf(s.name).filter((v) => v.release === s.release && v.state === 'ready').length}/${s.replicas}`,
          s.domains.join(','),
        ]),
      ));
    });

  const vs = program.command('vs').description('virtual servers');
  vs.command('list')
    .description('list virtual servers with their state, address and restarts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ virtualServers: VsView[] }>('/v1/vs');
      printListing(ctx.print, o.json, res, res.virtualServers, ['VS', 'SITE', 'ENGINE', 'RELEASE', 'STATE', 'ADDRESS', 'PID', 'RESTARTS'], (v) => [
        v.vs, v.site, v.engine, v.release, v.state ?? 'pending',
        v.address ? `${v.address}:${v.port}` : undefined, v.pid, v.restarts ?? 0,
      ]);
    });
}
