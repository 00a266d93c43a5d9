// corral router --join <controller-url> --token <join-token>: a router of a farm on etcd.
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { startRouterNode } from '../../cluster/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { port, roleToken, untilSignal } from './cluster-options.ts';

export function registerRouter(program: Command, ctx: Context): void {
  program
    .command('router')
    .description('run a router that joins a farm on etcd until Ctrl-C')
    .option('--join <url>', 'a controller URL (or several, comma-separated)')
    .option('--token <token>', 'the join token')
    .option('--http-port <port>', 'router port (0 = any free port)', '8080')
    .option('--host <address>', 'address the router listens on', '127.0.0.1')
    .option('--id <id>', 'router id (default the hostname)')
    .option('--metrics-port <port>', 'serve GET /metrics (Prometheus) on this port (default: no metrics listener)')
    .option('--metrics-host <address>', 'address the metrics listener binds to', '127.0.0.1')
    .action(async (o: { join?: string; token?: string; httpPort: string; host: string; id?: string; metricsPort?: string; metricsHost: string }) => {
      if (!o.join) throw new CliError('corral router needs --join <controller-url> --token <join-token>');
      const id = o.id ?? (hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40) || 'router');
      const node = await startRouterNode({ join: o.join, token: roleToken(program, o.token, 'router'), id, httpPort: port(o.httpPort, '--http-port'), host: o.host,
        ...(o.metricsPort !== undefined ? { metrics: { port: port(o.metricsPort, '--metrics-port'), host: o.metricsHost } } : {}),
      });
      ctx.print.out(`Corral router is up at ${node.url} (sites by Host header). Press Ctrl-C to stop.`);
      if (node.metricsUrl) ctx.print.out(`metrics  ${node.metricsUrl}`);
      await untilSignal(ctx, () => node.close());
    });
}
