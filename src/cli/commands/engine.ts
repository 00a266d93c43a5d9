// corral engine --join <controller-url> --token <join-token>: run an engine of a farm on etcd.
// corral engine list | drain <engine> | undrain <engine>: manage the engines (admin).
import type { Command } from 'commander';
import { DEFAULT_ENGINE_API_PORT, startEngineNode, type EngineDbOptions } from '../../cluster/index.ts';
import type { RuntimeChoice } from '../../engine/index.ts';
import { DEFAULT_DIR } from '../config.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';
import { distinctPorts, port, positiveInt, roleToken } from './cluster-options.ts';
import { stopSignals } from './stop-signals.ts';
import { MAX_STARTS_HELP, maxStarts } from './max-starts-flag.ts';
import { addMemoryFlags, memoryCapacity, type MemoryFlags } from './memory-flags.ts';
import { memoryAllowanceMb } from '../../model/vs-memory.ts';

interface EngineView {
  id: string;
  state: string;
  runtime: string;
  capacity: { cpus: number; memoryMb: number; maxVirtualServers: number; reservedMemoryMb?: number; memoryOvercommit?: number };
  /** memoryMb: reserved by its virtual servers (absent from an older controller). */
  use: { virtualServers: number; ready: number; memoryMb?: number };
}

interface EngineOpts extends MemoryFlags {
  join?: string;
  token?: string;
  dir?: string;
  id?: string;
  address?: string;
  leaseTtl?: string;
  maxVs?: string;
  apiPort: string;
  metricsPort?: string;
  metricsHost: string;
  maxStarts?: string;
  runtime: string;
  db?: boolean;
  dbPort: string;
  dbApiPort: string;
  dbForwardPort?: string;
  dbForwardHost?: string;
}

const RUNTIMES: RuntimeChoice[] = ['auto', 'process', 'namespace'];

export function registerEngine(program: Command, ctx: Context): void {
  const engine = program
    .command('engine')
    .description('run an engine that joins a farm (--join), or manage engines: list, drain, undrain')
    .option('--join <url>', 'a controller URL (or several, comma-separated)')
    .option('--token <token>', 'the join token')
    // `corral --dir` takes the value wherever it is written (commander), so the engine's
    // folder is always <dir>/engine: say so rather than suggest --dir is the engine's folder
    .option('--dir <dir>', `state folder: the engine keeps its releases, data, logs and patroni/ in <dir>/engine (default ${DEFAULT_DIR})`)
    .option('--id <id>', 'engine id (default the hostname)')
    .option('--address <ip>', "address this engine's virtual servers listen on and are reached at")
    .option('--lease-ttl <seconds>', 'registration lease TTL: how soon the farm notices this engine is gone (etcd grants no less than 2)', '2')
    .option('--runtime <runtime>', 'auto (namespace where this host allows it, else process), process or namespace', 'auto')
    .option('--max-vs <n>', 'most virtual servers on this engine', '64');
  addMemoryFlags(engine)
    .option('--max-starts <n>', MAX_STARTS_HELP)
    .option('--api-port <port>', "the engine API's port on --address: the farm's controllers read the virtual servers' logs and run `vs exec` through it (admin token only)", String(DEFAULT_ENGINE_API_PORT))
    .option('--metrics-port <port>', 'serve GET /metrics (Prometheus) on this port (default: no metrics listener)')
    .option('--metrics-host <address>', 'address the metrics listener binds to', '127.0.0.1')
    .option('--db', "run a member of the farm's database cluster here (PostgreSQL under Patroni, as the postgres user); opt two engines in")
    .option('--db-port <port>', "the member's PostgreSQL port, on --address", '5433')
    .option('--db-api-port <port>', "the member's Patroni REST API port, on --address", '8008')
    .option('--db-forward-port <port>', "forward guests' database connections to the primary on this port (default 5432 with --db; without either, none)")
    .option('--db-forward-host <address>', 'address the forwarder listens on (default 127.0.0.1; namespace guests reach it through their bridge address, port 5432)')
    .action(async (o: EngineOpts) => {
      if (!o.join) throw new CliError('corral engine needs --join <controller-url> --token <join-token>, or a subcommand (list, drain)');
      const dir = o.dir ?? `${program.opts<{ dir?: string }>().dir ?? DEFAULT_DIR}/engine`;
      const ttl = positiveInt(o.leaseTtl, '--lease-ttl');
      const maxVs = positiveInt(o.maxVs, '--max-vs');
      const capacity = { ...(maxVs ? { maxVirtualServers: maxVs } : {}), ...memoryCapacity(o) };
      const starts = maxStarts(o.maxStarts);
      if (!RUNTIMES.includes(o.runtime as RuntimeChoice)) throw new CliError(`--runtime must be one of ${RUNTIMES.join(', ')} (got "${o.runtime}")`);
      const db = dbOptions(o);
      const apiPort = port(o.apiPort, '--api-port');
      // the listeners on --address
      if (db?.member) distinctPorts({ '--api-port': apiPort, '--db-port': db.member.pgPort, '--db-api-port': db.member.apiPort });
      const stop = stopSignals(ctx);
      const node = await stop.started(startEngineNode({
        ...(db ? { db } : {}), signal: stop.signal,
        join: o.join, token: roleToken(program, o.token, 'engine'), dir,
        runtime: o.runtime as RuntimeChoice,
        ...(o.id ? { id: o.id } : {}), ...(o.address ? { address: o.address } : {}),
        ...(ttl ? { leaseTtlSeconds: ttl } : {}), capacity,
        ...(starts !== undefined ? { maxConcurrentStarts: starts } : {}),
        apiPort,
        ...(o.metricsPort !== undefined ? { metrics: { port: port(o.metricsPort, '--metrics-port'), host: o.metricsHost } } : {}),
      }));
      if (!node) return stop.until(); // stopped while joining: what had started is stopped
      if (node.runtimeWarning) ctx.print.err(`warning: ${node.runtimeWarning}`);
      ctx.print.out(`Corral engine ${node.id} joined the farm (runtime ${node.runtime}). Press Ctrl-C to stop.`);
      ctx.print.out(`engine API  ${node.apiUrl}   (the farm's controllers only: logs, vs exec)`);
      if (node.metricsUrl) ctx.print.out(`metrics  ${node.metricsUrl}`);
      if (node.db?.member) ctx.print.out(`database member ${node.id}: Patroni ${node.db.member.apiUrl}`);
      const fwd = node.db?.forwarder();
      if (node.db) ctx.print.out(fwd ? `database forwarder ${fwd.host}:${fwd.port}${node.runtime === 'namespace' ? '   (guests: their bridge address, port 5432)' : ''}` : 'database forwarder: not listening (see the log)');
      await stop.until(() => node.close());
    });

  engine
    .command('list')
    .description('list engines with state, capacity and use')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const res = await ctx.api().get<{ engines: EngineView[] }>('/v1/engines');
      printListing(ctx.print, o.json, res, res.engines, ['ENGINE', 'STATE', 'RUNTIME', 'CPUS', 'MEMORY', 'RESERVED', 'VS', 'READY'], (e) => [
        e.id, e.state, e.runtime, e.capacity.cpus, `${Math.round(e.capacity.memoryMb / 1024)} GiB`, reservedText(e), `${e.use.virtualServers}/${e.capacity.maxVirtualServers}`, e.use.ready,
      ]);
    });

  engine
    .command('drain <engine>')
    .description('move every virtual server off an engine (replacements first) and place nothing new there')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const res = await ctx.api().post(`/v1/engines/${encodeURIComponent(id)}/drain`, {});
      ctx.print.out(o.json ? JSON.stringify(res, null, 2) : `engine ${id} is draining; its virtual servers move as their replacements get ready (corral engine list)`);
    });

  engine
    .command('undrain <engine>')
    .description('let the scheduler place virtual servers on an engine again')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await ctx.api().delete(`/v1/engines/${encodeURIComponent(id)}/drain`);
      ctx.print.out(o.json ? JSON.stringify({ engine: id, draining: false }) : `engine ${id} takes virtual servers again`);
    });
}

/** What the engine's virtual servers reserve of what it offers them, in MiB: `1536/31468 MiB`; `-` from an older controller. */
function reservedText(e: EngineView): string {
  if (e.use.memoryMb === undefined) return '-';
  const allowance = memoryAllowanceMb(e.capacity);
  return allowance === undefined ? `${e.use.memoryMb} MiB` : `${e.use.memoryMb}/${allowance} MiB`;
}

/** --db, --db-port, --db-api-port, --db-forward-port, --db-forward-host → the engine's `db` option (none without --db or --db-forward-port). */
export function dbOptions(o: Pick<EngineOpts, 'db' | 'dbPort' | 'dbApiPort' | 'dbForwardPort' | 'dbForwardHost'>): EngineDbOptions | undefined {
  if (!o.db && o.dbForwardPort === undefined) {
    if (o.dbForwardHost !== undefined) throw new CliError('--db-forward-host needs --db or --db-forward-port');
    return undefined;
  }
  return {
    forwardPort: port(o.dbForwardPort ?? '5432', '--db-forward-port'),
    ...(o.dbForwardHost !== undefined ? { forwardHost: o.dbForwardHost } : {}),
    ...(o.db ? { member: { pgPort: port(o.dbPort, '--db-port'), apiPort: port(o.dbApiPort, '--db-api-port') } } : {}),
  };
}
