// corral status, corral vs list
import type { Command } from 'commander';
import type { Site } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { domainsShort, printColumns, type ListingOpts } from '../output.ts';
import { table } from '../table.ts';
import { lastExitText, limitsText, memText, poolText, releaseText, usageText } from './vs-columns.ts';
import { registerVsExec } from './vs-exec.ts';
import type { FarmStatus, SiteGlance, VsView } from './status-view.ts';
import { byText } from '../../lib/text-order.ts';

export function registerStatus(program: Command, ctx: Context): void {
  program
    .command('status')
    .description('the farm at a glance: engines, sites and virtual servers')
    .option('--json', 'print JSON')
    .option('--wide', 'also each site\'s customer and every domain (default: the first and a count)')
    .action(async (o: ListingOpts) => {
      const st = await ctx.api().get<FarmStatus>('/v1/status');
      if (o.json) return ctx.print.out(JSON.stringify(st, null, 2));
      if (ctx.quiet()) return st.sites.forEach((s) => ctx.print.out(s.name));
      // a pool VS counts for each site it serves, at the release it serves of it
      const vsOf = (site: string) => st.virtualServers.flatMap((v) => (v.pool ? (v.pool.includes(site) ? [{ ...v, release: v.sites?.[site] ?? '…' }] : []) : v.site === site ? [v] : []));
      if (st.leader) ctx.print.out(`leader: ${st.leader.id}${st.leader.url ? ` (${st.leader.url})` : ''} since ${st.leader.since}\n`);
      const readyOf = (s: Site) => vsOf(s.name).filter((v) => v.release === s.release && v.state === 'ready' && !v.draining).length;
      // the controller's glance where it sends one (rollouts); an older one's answer: the servers of the release
      const readyCell = (s: Site) => {
        const g = st.rollouts?.[s.name];
        return g ? glanceText(s, g, st.capped?.[s.name]) : readyText(s, readyOf(s), st.capped?.[s.name]);
      };
      // NOT READY: the others (with a glance, a ready server waiting for its rollout's switch is in `rolling out k/n`)
      const counted = (s: Site, v: VsView) => v.state === 'ready' && !v.draining && (st.rollouts?.[s.name] !== undefined || v.release === s.release);
      if (st.engines.length > 0) {
        ctx.print.out(table(['ENGINE', 'RUNTIME', 'CPUS', 'MEMORY', 'VIRTUAL SERVERS', 'STATE'], st.engines.map((e) => [
          e.id, e.runtime, e.capacity.cpus, `${Math.round(e.capacity.memoryMb / 1024)} GiB`,
          `${st.virtualServers.filter((v) => v.engine === e.id).length}/${e.capacity.maxVirtualServers}`,
          e.draining ? 'draining' : 'up',
        ])));
        ctx.print.out('');
      }
      if (st.sites.length === 0) ctx.print.out('no sites yet: corral site create <name>');
      else printColumns(ctx, o, st, st.sites, [
        { header: 'SITE', value: (s) => s.name },
        { header: 'KIND', value: (s) => s.kind },
        { header: 'RELEASE', value: (s) => s.release ?? 'none' },
        { header: 'READY', value: (s) => readyCell(s) },
        { header: 'NOT READY', value: (s) => [summarize(vsOf(s.name).filter((v) => !counted(s, v)).map(stateText)), unplacedText(st.rollouts?.[s.name])].filter((x) => x !== '').join(', ') || '-' },
        { header: 'CUSTOMER', value: (s) => s.customer, wide: true },
        { header: 'DOMAINS', value: (s) => (o.wide ? s.domains.join(',') : domainsShort(s.domains)) },
      ]);
      if (st.sites.some((s) => st.capped?.[s.name] !== undefined)) {
        ctx.print.out(`\n(N asked): a pooled site has at most one replica per engine; it gets more as engines join`);
      }
      if (st.sites.some((s) => st.rollouts?.[s.name]?.rollout)) {
        ctx.print.out(`\nrolling out k/n: k new servers ready; the router switches to them once all n are (READY counts those it serves)`);
      }
      const closed = st.sites.filter((s) => s.maintenance?.on).map((s) => s.name);
      if (closed.length > 0) ctx.print.out(`\nin maintenance (answering 503): ${closed.join(', ')}`);
      const states = summarize(st.virtualServers.map(stateText));
      ctx.print.out('');
      ctx.print.out(`virtual servers: ${st.virtualServers.length}${states ? ` (${states})` : ''}`);
    });

  const vs = program.command('vs').description('virtual servers');
  vs.command('list')
    .description('list virtual servers with their state, address, memory and restarts')
    .option('--json', 'print JSON')
    .option('--wide', 'also the site, engine, pid, runtime, limits and usage (a VS name starts with its site)')
    .action(async (o: ListingOpts) => {
      const res = await ctx.api().get<{ virtualServers: VsView[] }>('/v1/vs');
      printColumns(ctx, o, res, res.virtualServers, [
        { header: 'VS', value: (v) => v.vs },
        { header: 'SITE', value: (v) => v.site, wide: true },
        { header: 'ENGINE', value: (v) => v.engine, wide: true },
        { header: 'RELEASE', value: (v) => releaseText(v) },
        { header: 'STATE', value: (v) => stateText(v) },
        { header: 'ADDRESS', value: (v) => (v.address ? `${v.address}:${v.port}` : undefined) },
        { header: 'PID', value: (v) => v.pid, wide: true },
        { header: 'RESTARTS', value: (v) => v.restarts ?? 0 },
        { header: 'MEM', value: (v) => memText(v) },
        { header: 'RUNTIME', value: (v) => v.runtime, wide: true },
        { header: 'LIMITS', value: (v) => limitsText(v), wide: true },
        { header: 'USAGE', value: (v) => usageText(v), wide: true },
        { header: 'LAST EXIT', value: (v) => lastExitText(v) },
        { header: 'POOL SITES', value: (v) => poolText(v), wide: true },
      ]);
    });
  registerVsExec(vs, ctx);
}

/** READY: ready/wanted (✓ when all are); a pooled site capped by the engines: ready/what it can have, and what it asked. */
function readyText(s: Site, ready: number, capped: number | undefined): string {
  if (s.autoscale) return `${ready} (auto ${s.autoscale.minReplicas}–${s.autoscale.maxReplicas})`;
  const wanted = capped ?? s.replicas;
  return `${ready}/${wanted}${s.release && ready >= wanted ? ' ✓' : ''}${capped !== undefined ? ` (${s.replicas} asked)` : ''}`;
}

/**
 * READY from the controller's glance: the servers the router serves of those wanted, then ✓
 * when all are, or the rollout under way (`rolling out k/n`, `rollout stuck k/n` when a new
 * server fails): a settings change keeps the release, so a count of its servers says nothing.
 */
function glanceText(s: Site, g: SiteGlance, capped: number | undefined): string {
  const count = s.autoscale ? `${g.serving} (auto ${s.autoscale.minReplicas}–${s.autoscale.maxReplicas})` : `${g.serving}/${g.replicas}`;
  const state = g.rollout ? ` ${g.rollout.stuck ? 'rollout stuck' : 'rolling out'} ${g.rollout.ready}/${g.replicas}` : s.release && !s.autoscale && g.serving >= g.replicas ? ' ✓' : '';
  return `${count}${state}${capped !== undefined ? ` (${s.replicas} asked)` : ''}`;
}

/** "2 unplaced: every engine is at its most virtual servers (3/3)": servers no engine can take now, and why ('' when none). */
function unplacedText(g: SiteGlance | undefined): string {
  return g?.unplaced ? `${g.unplaced.count} unplaced: ${g.unplaced.reason}` : '';
}

/** A VS's state as shown: "draining" while it keeps its open connections after leaving the route. */
function stateText(v: VsView): string {
  return v.draining ? 'draining' : (v.state ?? 'pending');
}

/** "3 ready, 1 starting": counts of each state, in a stable order. */
function summarize(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort((a, b) => byText(a[0], b[0])).map(([s, n]) => `${n} ${s}`).join(', ');
}
