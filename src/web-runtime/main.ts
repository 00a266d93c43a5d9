// Process entry of the web runtime: read the environment, build, listen, drain on SIGTERM.
//   PORT, HOST (default 127.0.0.1), and the sites: CORRAL_WEB_TABLE (a table file, reloaded
//   when it changes: table mode, see table-file.ts; CORRAL_WEB_TABLE_KEY guards /.corral/sites),
//   or CORRAL_WEB_SITES (JSON [{ domains, root, spa? }]), or CORRAL_WEB_ROOT.
// Run as `node dist/web-runtime/main.js` (built), or `node --import tsx src/web-runtime/main.ts`.

import { logger } from '../lib/log.ts';
import { listenFromEnv, sitesFromEnv } from './config.ts';
import { closeGracefully } from './shutdown.ts';
import { watchTable } from './table-watch.ts';
import { buildWebServer, type WebServerOptions } from './web-server.ts';

const DRAIN_DEADLINE_MS = 10_000;

const log = logger('web-runtime');

try {
  const { port, host } = listenFromEnv(process.env);
  const tableFile = process.env.CORRAL_WEB_TABLE;
  const table = tableFile ? await watchTable(tableFile, { log }) : undefined;
  const key = process.env.CORRAL_WEB_TABLE_KEY;
  const sites: WebServerOptions = table ? { table, ...(key ? { statusKey: key } : {}) } : { sites: sitesFromEnv(process.env).map((s) => ({ domains: [...s.domains], root: s.root, spa: s.spa })) };
  const server = buildWebServer({ ...sites, log });
  server.on('error', (err) => {
    log.fatal({ event: 'listen_failed', err }, 'cannot listen');
    process.exit(1);
  });
  server.listen(port, host, () => {
    const addr = server.address();
    const boundPort = typeof addr === 'object' && addr ? addr.port : port;
    const count = table ? { table: tableFile } : { sites: sites.sites?.length };
    log.info({ event: 'listening', host, port: boundPort, ...count }, 'web runtime listening');
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'draining', signal }, 'stopping: draining in-flight requests');
    table?.close();
    void closeGracefully(server, DRAIN_DEADLINE_MS).then((result) => {
      log.info({ event: 'stopped', result }, 'web runtime stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (err) {
  log.fatal({ event: 'config_invalid', err }, (err as Error).message);
  process.exit(1);
}
