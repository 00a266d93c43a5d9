// corral drill: rehearse failure on this farm (admin) and print what clients saw (drill.ts).
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { confirm } from '../confirm.ts';
import { runDrill, SCENARIOS, type Scenario } from '../drill.ts';
import { CliError } from '../errors.ts';
import { table } from '../table.ts';
import { wholeNumber } from './numbers.ts';

interface DrillOpts {
  site: string;
  scenarios: string;
  faultSeconds: string;
  router?: string;
  concurrency: string;
  timeout: string;
  json?: boolean;
  yes?: boolean;
}

export function registerDrill(program: Command, ctx: Context): void {
  program
    .command('drill')
    .description('rehearse failure on this farm (kill a VS, crash an engine, kill the leader, partition an engine) and report what clients saw')
    .requiredOption('--site <name>', 'the site whose requests are measured (its ready replicas on at least 2 engines)')
    .option('--scenarios <list>', `comma-separated, in order: ${SCENARIOS.join(', ')}`, SCENARIOS.join(','))
    .option('--fault-seconds <s>', 'how long each fault lasts; a crashed or partitioned engine comes back after it', '10')
    .option('--router <urls>', 'router URLs to send requests through, comma-separated (default: the routers registered with the farm)')
    .option('--concurrency <n>', 'requests in flight at once', '4')
    .option('--timeout <s>', 'longest wait for the farm to be whole again after a fault', '60')
    .option('--json', 'print the report as JSON')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (o: DrillOpts) => {
      const scenarios = o.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
      if (scenarios.length === 0 || unknown.length > 0) throw new CliError(`--scenarios: unknown ${unknown.join(', ') || '(none given)'}; choose from ${SCENARIOS.join(', ')}`);
      const faultSeconds = wholeNumber(o.faultSeconds, '--fault-seconds', { min: 1, max: 120 });
      const concurrency = wholeNumber(o.concurrency, '--concurrency', { min: 1, max: 64 });
      const timeout = wholeNumber(o.timeout, '--timeout', { min: 5, max: 600 });
      const routers = o.router?.split(',').map((u) => u.trim()).filter(Boolean);
      for (const u of routers ?? []) if (!/^https?:\/\/[^/]+\/?$/.test(u)) throw new CliError(`--router: "${u}" is not a router URL like http://10.0.0.5:80`);
      if (!o.yes && !(await confirm(ctx, `This drill disturbs the farm on purpose (${scenarios.join(', ')}). Go ahead? [y/N] `))) throw new CliError('drill cancelled');
      const report = await runDrill(ctx.api(), {
        site: o.site, scenarios: scenarios as Scenario[], faultMs: faultSeconds * 1000, concurrency, timeoutMs: timeout * 1000,
        ...(routers ? { routers } : {}),
        say: (line) => { if (!o.json) ctx.say(line); },
      });
      if (o.json) return ctx.print.out(JSON.stringify(report, null, 2));
      ctx.print.out(table(['SCENARIO', 'TARGET', 'REQUESTS', 'FAILED', 'SLOWEST', 'FULL CAPACITY IN', 'NOTE'], report.scenarios.map((r) => [
        r.scenario, r.target, r.requests, r.failed ? `${r.failed} (${Object.entries(r.failures).map(([k, n]) => `${n}×${k}`).join(', ')})` : 0,
        `${r.slowestMs} ms`, r.recoveredMs === undefined ? 'not recovered' : `${(r.recoveredMs / 1000).toFixed(2)} s`, r.note,
      ])));
    });
}
