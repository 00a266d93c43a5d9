// Process entry of the web runtime: read the environment, build, listen, drain on SIGTERM.
//   PORT, HOST (default 127.0.0.1), CORRAL_WEB_SITES (JSON [{ domains, root }]) or CORRAL_WEB_ROOT.
// Run as `node dist/web-runtime/main.js` (built), or `node --import tsx src/web-runtime/main.ts`.

import { logger } from '../lib/log.ts';
import { listenFromEnv, sitesFromEnv } from './config.ts';
import { closeGracefully } from './shutdown.ts';
import { buildWebServer } from './web-server.ts';

const DRAIN_DEADLINE_MS = 10_000;

const log = logger('web-runtime');

try {
  const sites = sitesFromEnv(process.env);
  const { port, host } = listenFromEnv(process.env);
  const server = buildWebServer({ sites: sites.map((s) => ({ domains: [...s.domains], root: s.root })), log });
  server.on('error', (err) => {
    log.fatal({ event: 'listen_failed', err }, 'cannot listen');
    process.exit(1);
  });
  server.listen(port, host, () => {
    const addr = server.address();
    const boundPort = typeof addr === 'object' && addr ? addr.port : port;
    log.info({ event: 'listening', host, port: boundPort, sites: sites.length }, 'web runtime listening');
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'draining', signal }, 'stopping: draining in-flight requests');
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
