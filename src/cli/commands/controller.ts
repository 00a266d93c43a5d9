// corral controller --store etcd://h1:2379,h2:2379: one controller of a farm on etcd.
import type { Command } from 'commander';
import { parseStoreUrl, startControllerNode } from '../../cluster/index.ts';
import { DEFAULT_DIR } from '../config.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { devCertDomains } from '../dev-cert.ts';
import { addReservedDomainsFlag, apiConnectionsPerAddress, customerMaxVs, port, positiveInt, reservedDomains } from './cluster-options.ts';
import { stopSignals } from './stop-signals.ts';
import { addBackupFlags, backupPlan, type BackupFlags } from './backup-flags.ts';
import { addReleaseSizeFlags, releaseSizes, type ReleaseSizeFlags } from './release-size-flags.ts';
import { acmeSettings, addAcmeFlags, type AcmeFlags } from './acme-flags.ts';
import { addScaleInFlags, scaleInWindowMs, type ScaleInFlags } from './autoscale-flags.ts';
import { NO_STATIC_POOLS_HELP, STATIC_POOLS_HELP } from './pooled-flag.ts';

interface ControllerOpts extends BackupFlags, AcmeFlags, ScaleInFlags, ReleaseSizeFlags {
  store?: string;
  dir?: string;
  apiPort: string;
  host: string;
  url?: string;
  id?: string;
  adminTokenFile?: string;
  databaseKeyFile?: string;
  engineLostGraceMs?: string;
  reservedDomains?: string;
  staticPools?: boolean;
  customerMaxVs: string;
  apiConnectionsPerAddress: string;
}

export function registerController(program: Command, ctx: Context): void {
  const controller = program
    .command('controller')
    .description('run a controller of a farm on etcd (API, blobs; the elected leader also reconciles) until Ctrl-C')
    .option('--store <url>', 'the etcd cluster: etcd://host:port[,host:port…][/namespace]')
    .option('--dir <dir>', `state folder: blobs, admin token (default ${DEFAULT_DIR})`)
    .option('--api-port <port>', 'API port (0 = any free port)', '7400')
    .option('--host <address>', 'address the API listens on', '127.0.0.1')
    .option('--url <url>', 'the API URL other hosts reach this controller at (default http://<host>:<port>)')
    .option('--id <id>', 'controller id (default <hostname>-<pid>)')
    .option('--admin-token-file <path>', "the farm's admin token, copied from the first controller's <dir>/admin-token")
    .option('--database-key-file <path>', "the key database passwords are sealed with, copied from the first controller's <dir>/database-key (default: database-key beside --admin-token-file, if there)");
  addReservedDomainsFlag(controller)
    .option('--engine-lost-grace-ms <ms>', 'wait after an engine lease expires before replacing its servers', '0')
    .option('--static-pools', STATIC_POOLS_HELP)
    .option('--no-static-pools', NO_STATIC_POOLS_HELP);
  addAcmeFlags(addScaleInFlags(addBackupFlags(addReleaseSizeFlags(controller))))
    .action(async (o: ControllerOpts) => {
      if (!o.store) throw new CliError('corral controller needs --store etcd://host:port[,host:port…] (one machine: use corral up)');
      const dir = o.dir ?? program.opts<{ dir?: string }>().dir ?? DEFAULT_DIR;
      const grace = positiveInt(o.engineLostGraceMs, '--engine-lost-grace-ms');
      const backup = backupPlan(o, dir);
      const acme = acmeSettings(o);
      const sizes = releaseSizes(o);
      // the routers' development certificate (corral router without --tls-cert) names the farm too
      const reserved = [...devCertDomains(), ...(await reservedDomains(o.reservedDomains))];
      const stop = stopSignals(ctx);
      const node = await stop.started(startControllerNode({
        signal: stop.signal,
        store: parseStoreUrl(o.store), dir, apiPort: port(o.apiPort, '--api-port'), host: o.host, reservedDomains: reserved,
        ...(o.url ? { url: o.url } : {}), ...(o.adminTokenFile ? { adminTokenFile: o.adminTokenFile } : {}), ...(o.databaseKeyFile ? { databaseKeyFile: o.databaseKeyFile } : {}), ...(o.id ? { id: o.id } : {}), ...(grace !== undefined ? { engineLostGraceMs: grace } : {}), ...(backup ? { backup } : {}), ...(acme ? { acme } : {}),
        autoscale: { stableWindowMs: scaleInWindowMs(o.scaleInWindow) },
        staticPools: o.staticPools !== false,
        customerMaxVs: customerMaxVs(o.customerMaxVs),
        apiConnectionsPerAddress: apiConnectionsPerAddress(o.apiConnectionsPerAddress),
        releaseSizes: sizes,
      }));
      if (!node) return stop.until(); // stopped while starting: what had started is stopped
      ctx.print.out(`Corral controller ${node.id} is up.`);
      ctx.print.out(`  API      ${node.apiUrl}/v1`);
      ctx.print.out(`  token    ${node.tokenFile}`);
      if (backup) ctx.print.out(`  backups  ${backup.dir}   (every ${o.backupEvery} while this controller leads, the newest ${backup.keep} kept)`);
      ctx.print.out('Press Ctrl-C to stop.');
      await stop.until(() => node.close());
    });
}
