// corral up: the whole farm on this machine until Ctrl-C.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { addReservedDomainsFlag, addTrustedProxiesFlag, apiConnectionsPerAddress, customerMaxVs, distinctPorts, port, reservedDomains, trustedProxies, workerCount } from './cluster-options.ts';
import { stopSignals } from './stop-signals.ts';
import { CliError } from '../errors.ts';
import { DEFAULT_DIR } from '../config.ts';
import { MAX_STARTS_HELP, maxStarts } from './max-starts-flag.ts';
import { decimal, wholeNumber } from './numbers.ts';
import { addBackupFlags, backupPlan, type BackupFlags } from './backup-flags.ts';
import { addReleaseSizeFlags, releaseSizes, type ReleaseSizeFlags } from './release-size-flags.ts';
import { addMemoryFlags, memoryCapacity, type MemoryFlags } from './memory-flags.ts';
import { join, resolve } from 'node:path';
import { openCappedFile } from '../../lib/capped-file.ts';
import { setLogSinks } from '../../lib/log.ts';
import { acmeSettings, addAcmeFlags, type AcmeFlags } from './acme-flags.ts';
import { addWakeQueueFlags, wakeQueueSettings, type WakeQueueFlags } from './wake-queue-flags.ts';
import { addScaleInFlags, scaleInWindowMs, type ScaleInFlags } from './autoscale-flags.ts';
import { NO_STATIC_POOLS_HELP, STATIC_POOLS_HELP } from './pooled-flag.ts';
import { databaseLine } from './up-banner.ts';
import { writableStateFolder } from './state-folder.ts';
import type { Farm } from '../farm.ts';

interface UpOpts extends BackupFlags, AcmeFlags, ScaleInFlags, WakeQueueFlags, ReleaseSizeFlags, MemoryFlags {
  /** --no-databases: false */
  databases?: boolean;
  dir?: string;
  httpPort: string;
  httpsPort: string;
  apiPort: string;
  host: string;
  openMetrics?: boolean;
  runtime: string;
  routerWorkers: string;
  accessLog?: boolean;
  trustedProxies?: string;
  reservedDomains?: string;
  blobGrace: string;
  maxStarts?: string;
  logFormat: string;
  maxVs: string;
  staticPools?: boolean;
  customerMaxVs: string;
  apiConnectionsPerAddress: string;
}

export function registerUp(program: Command, ctx: Context): void {
  const up = program
    .command('up')
    .description('run the whole farm on this machine (controller, engine, router) until Ctrl-C')
    .option('--dir <dir>', `state folder: store, blobs, releases, logs, admin token (default ${DEFAULT_DIR})`)
    .option('--http-port <port>', 'router port (0 = any free port)', '8080')
    .option('--https-port <port>', 'router HTTPS port, HTTP/2 and HTTP/1.1 (0 = any free port); a self-signed dev certificate is made in <dir>/tls on first start', '8443')
    .option('--api-port <port>', 'API port (0 = any free port)', '7400')
    .option('--host <address>', 'address the router and API listen on', '127.0.0.1')
    .option('--open-metrics', 'serve /metrics without a token (default: needs the admin token)')
    .option('--runtime <runtime>', 'virtual servers as isolated guests (namespace: Linux, root, bubblewrap) or plain processes (process); auto picks namespace where possible', 'auto')
    .option('--router-workers <n>', 'router worker processes sharing the HTTP and HTTPS ports: a number, or auto (one per core); 1 keeps the router in this process', 'auto');
  addReservedDomainsFlag(up)
    .option('--access-log', 'log one JSON line per answered request (site, status, upstream, or the code the router answered with, timings, retries) to the JSON logs in <dir>/logs (the terminal too with --log-format json); corral logs <site> shows access lines without it');
  addWakeQueueFlags(addTrustedProxiesFlag(up))
    .option('--max-starts <n>', MAX_STARTS_HELP)
    .option('--log-format <format>', 'the terminal: text (a summary, then one line per event; JSON logs in <dir>/logs/corral.log) or json (the JSON logs too, as before)', 'text')
    .option('--max-vs <n>', 'most virtual servers the engine runs, 1–10000 (beyond it, new ones wait unplaced; corral status shows the engine as N/max)', '64');
  addMemoryFlags(up)
    .option('--no-databases', 'do not run the database service (PostgreSQL under <dir>/postgres)')
    .option('--blob-grace <seconds>', 'keep a release tarball no release names any more (e.g. of a deleted site) this long after its upload', '600')
    .option('--static-pools', STATIC_POOLS_HELP)
    .option('--no-static-pools', NO_STATIC_POOLS_HELP);
  addAcmeFlags(addScaleInFlags(addBackupFlags(addReleaseSizeFlags(up))))
    .action(async (o: UpOpts) => {
      // --dir is also a global option (where clients find api-url); either spelling works here.
      const dir = o.dir ?? program.opts<{ dir?: string }>().dir ?? DEFAULT_DIR;
      const starts = maxStarts(o.maxStarts);
      const backup = backupPlan(o, dir);
      const ports = { httpPort: port(o.httpPort, '--http-port'), httpsPort: port(o.httpsPort, '--https-port'), apiPort: port(o.apiPort, '--api-port') };
      distinctPorts({ '--http-port': ports.httpPort, '--https-port': ports.httpsPort, '--api-port': ports.apiPort });
      const options = { dir, ...ports, host: o.host, openMetrics: o.openMetrics === true, runtime: runtimeChoice(o.runtime), routerWorkers: workerCount(o.routerWorkers, '--router-workers'), accessLog: o.accessLog === true, trustedProxies: await trustedProxies(o.trustedProxies), wake: wakeQueueSettings(o), reservedDomains: await reservedDomains(o.reservedDomains), blobGraceMs: seconds(o.blobGrace, '--blob-grace') * 1000, ...(starts !== undefined ? { maxConcurrentStarts: starts } : {}), maxVirtualServers: maxVs(o.maxVs), memory: memoryCapacity(o), ...(backup ? { backup } : {}), databases: o.databases !== false, acme: acmeSettings(o), autoscale: { stableWindowMs: scaleInWindowMs(o.scaleInWindow) }, staticPools: o.staticPools !== false, customerMaxVs: customerMaxVs(o.customerMaxVs), apiConnectionsPerAddress: apiConnectionsPerAddress(o.apiConnectionsPerAddress), releaseSizes: releaseSizes(o) };
      const logFormat = logFormatOf(o.logFormat);
      // last of the checks: it makes the folder, which a refused flag should not leave behind
      await writableStateFolder(dir);
      const logDir = join(resolve(dir), 'logs');
      const logFile = openCappedFile(join(logDir, 'corral.log'));
      // text: errors also reach the terminal, as one plain line each
      setLogSinks(logFormat === 'json' ? [logFile, process.stdout] : [logFile, { write: (line: string) => sayError(line, (l) => ctx.print.err(l)) }]);
      // router workers keep their JSON logs in <dir>/logs/router-worker-<n>.log rather than on the terminal
      if (logFormat === 'text') process.env.CORRAL_LOG_DIR = logDir;
      const say = (line: string) => ctx.print.out(line);
      // before anything starts: a Ctrl-C from here on stops what has started (stop-signals.ts)
      const stop = stopSignals(ctx);
      let stopAsked = 0;
      stop.signal.addEventListener('abort', () => (stopAsked = performance.now()), { once: true });
      const stopped = () => say(`farm stopped in ${((performance.now() - stopAsked) / 1000).toFixed(1)} s`);
      // Router workers load their code (a second or so) while this process loads the farm's; they listen once the farm is up.
      const { bootFarmRouterWorkers, farmRouterOptions } = await import('../farm-router.ts');
      const routerOptions = await farmRouterOptions(dir, options);
      const routerBoot = bootFarmRouterWorkers(routerOptions);
      routerBoot?.catch(() => {}); // startFarm reports it
      // Loaded on demand: the farm pulls in every part, which other commands never need.
      const { startFarm } = await import('../farm.ts');
      const farm = await stop.started(startFarm({ ...options, routerOptions, signal: stop.signal, ...(routerBoot ? { routerBoot } : {}), ...(logFormat === 'text' ? { onLine: say } : {}) })
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') throw new CliError(`a port is already in use (${err.message}); pick others with --http-port / --https-port / --api-port, or 0 for any`);
          throw err;
        }));
      // after a restart: the sites that served before serve again before we say so (a Ctrl-C ends the wait)
      const starting = await farm?.untilServing(SERVING_WAIT_MS, stop.signal);
      if (farm && starting && !stop.signal.aborted) ctx.print.out(banner(farm, starting, o, logDir, backup));
      // no farm: stopped during start-up, startFarm closed what had started
      await stop.until(async () => {
        await farm?.close();
        stopped();
      });
      logFile.close();
    });
}

/** How long `corral up` waits for the sites that should serve before it says it is up. */
const SERVING_WAIT_MS = 15_000;

/** "Corral is up." and where everything is, in one write: a reader that sees the first line sees the rest in the same read. */
function banner(farm: Farm, starting: string[], o: UpOpts, logDir: string, backup: ReturnType<typeof backupPlan>): string {
  const up: string[] = [];
  up.push('Corral is up.');
  up.push(`  router   ${farm.routerUrl}   (sites by Host header)`);
  if (farm.routerHttpsUrl) up.push(`  https    ${farm.routerHttpsUrl}   (HTTP/2; self-signed dev certificate in ${farm.dir}/tls unless the site has one)`);
  up.push(`  API      ${farm.apiUrl}/v1`);
  up.push(`  console  ${farm.consoleUrl}   (sign in with a token)`);
  up.push(`  metrics  ${farm.apiUrl}/metrics   (${o.openMetrics ? 'open' : 'admin token'})`);
  up.push(`  token    ${farm.tokenFile}${farm.tokenCreated ? '   (new admin token)' : ''}`);
  up.push(`  engine   ${farm.engineId} (${farm.runtime} runtime: ${runtimeWhy(farm.runtime, o.runtime)})`);
  if (farm.runtimeWarning) up.push(`  warning  ${farm.runtimeWarning}`);
  if (farm.database) up.push(databaseLine(farm.database, farm.runtime));
  up.push(`  state    ${farm.dir}`);
  up.push(`  logs     ${join(logDir, 'corral.log')}   (JSON; per site: corral logs <site>)`);
  if (backup) up.push(`  backups  ${backup.dir}   (every ${o.backupEvery}, the newest ${backup.keep} kept)`);
  if (starting.length > 0) up.push(`  starting ${starting.join(', ')}   (not ready after ${SERVING_WAIT_MS / 1000} s: 503 with Retry-After until they are)`);
  up.push('Press Ctrl-C to stop.');
  return up.join('\n');
}

function seconds(v: string, flag: string): number {
  const n = decimal(v);
  if (!Number.isFinite(n) || n < 0 || n > 7 * 86_400) throw new CliError(`${flag} must be a number of seconds (0–604800), got "${v}"`);
  return n;
}

function runtimeChoice(v: string): 'auto' | 'process' | 'namespace' {
  if (v === 'auto' || v === 'process' || v === 'namespace') return v;
  throw new CliError(`--runtime must be auto, process or namespace, got "${v}"`);
}

function maxVs(v: string): number {
  return wholeNumber(v, '--max-vs', { min: 1, max: 10_000, expected: 'a number from 1 to 10000' });
}

function logFormatOf(v: string): 'text' | 'json' {
  if (v === 'text' || v === 'json') return v;
  throw new CliError(`--log-format must be text or json, got "${v}"`);
}

function runtimeWhy(runtime: string, asked: string): string {
  if (runtime === 'namespace') return 'each virtual server an isolated guest: own network namespace, cgroup limits, seccomp';
  if (asked === 'process') return 'plain processes, as asked with --runtime process: no isolation between sites';
  return 'plain processes: no isolation between sites (see the warning)';
}

/** A JSON log line at error level or worse, as `! <part>: <message>`. */
function sayError(line: string, say: (line: string) => void): void {
  if (!line.includes('"level":5') && !line.includes('"level":6')) return;
  try {
    const r = JSON.parse(line) as { level: number; part?: string; msg?: string; err?: { message?: string } };
    if (r.level >= 50) say(`! ${r.part ?? 'corral'}: ${r.msg ?? ''}${r.err?.message ? ` (${r.err.message})` : ''}`);
  } catch {
    // not one JSON line: nothing to say
  }
}
