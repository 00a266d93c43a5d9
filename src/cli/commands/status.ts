// corral status, corral vs list
import type { Command } from 'commander';
import type { EngineRecord, Site, VsStatus } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { printListing } from '../output.ts';
import { table } from '../table.ts';
import { lastExitText, limitsText, usageText } from './vs-columns.ts';
import { registerVsExec } from './vs-exec.ts';

export type VsView = Partial<VsStatus> & { vs: string; site: string; engine: string; release: string; customer?: string; kind?: string; draining?: boolean };

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
  /** The leading controller, on a farm of several. */
  leader?: { id: string; url?: string; since: string };
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
      if (st.leader) ctx.print.out(`leader: ${st.leader.id}${st.leader.url ? ` (${st.leader.url})` : ''} since ${st.leader.since}\n`);
      if (st.engines.length > 0) {
        ctx.print.out(table(['ENGINE', 'RUNTIME', 'CPUS', 'MEMORY', 'VIRTUAL SERVERS', 'STATE'], st.engines.map((e) => [
          e.id, e.runtime, e.capacity.cpus, `${Math.round(e.capacity.memoryMb / 1024)} GiB`,
          `${st.virtualServers.filter((v) => v.engine === e.id).length}/${e.capacity.maxVirtualServers}`,
          e.draining ? 'draining' : 'up',
        ])));
        ctx.print.out('');
      }
      ctx.print.out(st.sites.length === 0 ? 'no sites yet: corral site create <name>' : table(
        ['SITE', 'KIND', 'RELEASE', 'READY', 'NOT READY', 'CUSTOMER', 'DOMAINS'],
        st.sites.map((s) => {
          const mine = vsOf(s.name);
          const ready = mine.filter((v) => v.release === s.release && v.state === 'ready' && !v.draining).length;
          const others = summarize(mine.filter((v) => !(v.release === s.release && v.state === 'ready' && !v.draining)).map(stateText));
          return [s.name, s.kind, s.release ?? 'none', `${ready}/${s.replicas}${s.release && ready >= s.replicas ? ' ✓' : ''}`, others || '-', s.customer, s.domains.join(',')];
        }),
      ));
      const closed = st.sites.filter((s) => s.maintenance?.on).map((s) => s.name);
      if (closed.length > 0) ctx.print.out(`\nin maintenance (answering 503): ${closed.join(', ')}`);
      const states = summarize(st.virtualServers.map(stateText));
      ctx.print.out('');
      ctx.print.out(`virtual servers: ${st.virtualServers.length}${states ? ` (${states})` : ''}`);
    });

  const vs = program.command('vs').description('virtual servers');
  vs.command('list')
    .description('list virtual servers with their state, address and restarts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ virtualServers: VsView[] }>('/v1/vs');
      printListing(ctx.print, o.json, res, res.virtualServers, ['VS', 'SITE', 'ENGINE', 'RELEASE', 'STATE', 'ADDRESS', 'PID', 'RESTARTS', 'RUNTIME', 'LIMITS', 'USAGE', 'LAST EXIT'], (v) => [
        v.vs, v.site, v.engine, v.release, stateText(v),
        v.address ? `${v.address}:${v.port}` : undefined, v.pid, v.restarts ?? 0,
        v.runtime, limitsText(v), usageText(v), lastExitText(v),
      ]);
    });
  registerVsExec(vs, ctx);
}

/** A VS's state as shown: "draining" while it keeps its open connections after leaving the route. */
function stateText(v: VsView): string {
  return v.draining ? 'draining' : (v.state ?? 'pending');
}

/** "3 ready, 1 starting": counts of each state, in a stable order. */
function summarize(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0].localeCompare(b[0])).map(([s, n]) => `${n} ${s}`).join(', ');
}
