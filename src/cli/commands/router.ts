// corral router --join <controller-url> --token <join-token>: a router of a farm on etcd.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { youngGrowth } from '../../lib/heap-settle.ts';
import { logger } from '../../lib/log.ts';
import { hostId } from '../../lib/host-id.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { addTrustedProxiesFlag, distinctPorts, port, roleToken, trustedProxies, workerCount } from './cluster-options.ts';
import { stopSignals } from './stop-signals.ts';
import { DEFAULT_DIR } from '../config.ts';
import { addWakeQueueFlags, wakeQueueSettings, type WakeQueueFlags } from './wake-queue-flags.ts';
import { ensureDevCertificate } from '../dev-cert.ts';

export function registerRouter(program: Command, ctx: Context): void {
  const router = program
    .command('router')
    .description('run a router that joins a farm on etcd until Ctrl-C')
    .option('--join <url>', 'a controller URL (or several, comma-separated)')
    .option('--token <token>', 'the join token')
    .option('--http-port <port>', 'router port (0 = any free port)', '8080')
    .option('--host <address>', 'address the router listens on', '127.0.0.1')
    .option('--id <id>', 'router id (default the hostname)')
    .option('--url <url>', 'the URL other hosts reach this router at, for `corral drill` and GET /v1/routers (default http://<host>:<http-port>; set it with --host 0.0.0.0)')
    .option('--https-url <url>', 'the same for its HTTPS port (default https://<host>:<https-port>)')
    .option('--https-port <port>', 'also serve HTTPS, HTTP/2 and HTTP/1.1, on this port (0 = any free port); default: no HTTPS')
    .option('--tls-cert <file>', 'the default certificate (PEM) for names without a site certificate; default: a self-signed dev certificate made in <dir>/tls')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--workers <n>', 'router worker processes sharing the ports: a number, or auto (one per core); 1 keeps the router in this process', 'auto')
    .option('--api-port <port>', "the router API's port: the farm's controllers read this router's per-site access lines through it for `corral logs` (admin token only; 0 = any free port)", '7402')
    .option('--api-host <address>', 'address the router API listens on (default --host; keep it on the cluster network)')
    .option('--metrics-port <port>', 'serve GET /metrics (Prometheus) on this port (default: no metrics listener)')
    .option('--metrics-host <address>', 'address the metrics listener binds to', '127.0.0.1');
  addWakeQueueFlags(addTrustedProxiesFlag(router))
    .action(async (o: RouterOpts) => {
      if (!o.join) throw new CliError('corral router needs --join <controller-url> --token <join-token>');
      const id = o.id ?? hostId('router');
      const workers = workerCount(o.workers, '--workers');
      const proxies = await trustedProxies(o.trustedProxies);
      const dir = program.opts<{ dir?: string }>().dir ?? DEFAULT_DIR;
      const https = await httpsOption(o, dir);
      const httpPort = port(o.httpPort, '--http-port');
      const apiPort = port(o.apiPort, '--api-port');
      // the listeners on --host
      distinctPorts({ '--http-port': httpPort, ...(https ? { '--https-port': https.port } : {}), ...(o.apiHost === undefined || o.apiHost === o.host ? { '--api-port': apiPort } : {}) });
      // each site's access lines in <dir>/logs/router, served on the API
      const options = { join: o.join, token: roleToken(program, o.token, 'router'), id, httpPort, host: o.host, workers, wake: wakeQueueSettings(o), dir, apiPort,
        ...(o.apiHost !== undefined ? { apiHost: o.apiHost } : {}),
        ...(proxies.length > 0 ? { trustedProxies: proxies } : {}),
        ...(o.url !== undefined ? { publicUrl: httpUrl(o.url, '--url', 'http:') } : {}),
        ...(o.httpsUrl !== undefined ? { publicHttpsUrl: httpUrl(o.httpsUrl, '--https-url', 'https:') } : {}),
        ...(https ? { https } : {}),
        ...(o.metricsPort !== undefined ? { metrics: { port: port(o.metricsPort, '--metrics-port'), host: o.metricsHost } } : {}),
      };
      // the workers are forked first (the router cluster's primary alone is light) and load
      // their code while this process loads the rest of the router node and joins the farm
      const log = logger('router');
      // before the workers are forked: from here a Ctrl-C stops them with the rest
      const stop = stopSignals(ctx);
      // With workers this process is their primary: it serves no request, and V8's young
      // generation, left to grow (to ≈ 17 MiB while the node loads and joins), stays grown.
      // Kept at its first size it held ≈ 10 MB less RSS (bench/router-memory.sh's notes).
      // The growth factor is read at each scavenge, so setting it now takes effect.
      if (workers > 1) youngGrowth(true);
      const boot = workers > 1 ? await import('../../cluster/router-boot.ts') : undefined;
      const booting = boot?.bootRouterWorkers(boot.nodeRouterBuild(options), log);
      booting?.catch(() => {}); // startRouterNode awaits it
      const { startRouterNode } = await import('../../cluster/router-role.ts');
      const node = await stop.started(startRouterNode({ ...options, log, signal: stop.signal, ...(booting ? { booting } : {}) }));
      if (!node) return stop.until(); // stopped while starting: the workers and what else had started are stopped
      ctx.print.out(`Corral router is up at ${node.url} (sites by Host header; ${workers === 1 ? 'in this process' : `${workers} workers`}). Press Ctrl-C to stop.`);
      if (node.httpsUrl) ctx.print.out(`https    ${node.httpsUrl}`);
      if (node.metricsUrl) ctx.print.out(`metrics  ${node.metricsUrl}`);
      if (node.apiUrl) ctx.print.out(`router API  ${node.apiUrl}   (the farm's controllers only: access lines for corral logs)`);
      const apiHost = o.apiHost ?? o.host;
      if (apiHost === '0.0.0.0' || apiHost === '::') ctx.print.err('warning: the router API listens on every address: give --api-host this host\'s cluster address, or close port ' + apiPort + ' to all but the controllers');
      await stop.until(() => node.close());
    });
}

/** --url, --https-url: an absolute URL of that scheme, host and port only; given back without a trailing slash. */
export function httpUrl(v: string, flag: string, protocol: 'http:' | 'https:'): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new CliError(`${flag}: "${v}" is not a URL (e.g. ${protocol}//10.0.0.5:8080)`);
  }
  if (u.protocol !== protocol || u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) {
    throw new CliError(`${flag}: "${v}" must be ${protocol}//<host>[:<port>], nothing more`);
  }
  return `${u.protocol}//${u.host}`;
}

interface RouterOpts extends WakeQueueFlags {
  join?: string;
  token?: string;
  url?: string;
  httpsUrl?: string;
  httpPort: string;
  httpsPort?: string;
  tlsCert?: string;
  tlsKey?: string;
  workers: string;
  host: string;
  id?: string;
  metricsPort?: string;
  metricsHost: string;
  apiPort: string;
  apiHost?: string;
  trustedProxies?: string;
}

/** --https-port with the default certificate: --tls-cert/--tls-key files, else the self-signed dev certificate in <dir>/tls. */
async function httpsOption(o: RouterOpts, dir: string): Promise<{ port: number; cert: { cert: string; key: string } } | undefined> {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together');
  if (o.httpsPort === undefined) {
    if (o.tlsCert !== undefined) throw new CliError('--tls-cert/--tls-key need --https-port');
    return undefined;
  }
  const httpsPort = port(o.httpsPort, '--https-port');
  if (o.tlsCert === undefined || o.tlsKey === undefined) {
    const dev = await ensureDevCertificate(dir);
    return { port: httpsPort, cert: { cert: dev.cert, key: dev.key } };
  }
  const read = (file: string, flag: string) =>
    readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`${flag}: cannot read ${file} (${err.code ?? err.message})`);
    });
  const cert = { cert: await read(o.tlsCert, '--tls-cert'), key: await read(o.tlsKey, '--tls-key') };
  try {
    createSecureContext(cert);
  } catch (err) {
    throw new CliError(`--tls-cert/--tls-key cannot be used: ${(err as Error).message}`);
  }
  return { port: httpsPort, cert };
}
