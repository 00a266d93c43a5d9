// One router worker process (see cluster.ts): builds a router from the primary's
// 'start' message, takes every later table from 'routes', drains on 'close'.
import type { AddressInfo } from 'node:net';
import { logger } from '../lib/log.ts';
import type { PrimaryMessage, WorkerMessage } from './cluster-messages.ts';
import { buildRouter, type Router } from './router.ts';

let router: Router | undefined;
const send = (m: WorkerMessage) => process.send?.(m);

process.on('message', (m: PrimaryMessage) => {
  if (m.type === 'start') {
    const { accessLog, ...options } = m.options;
    const access = accessLog ? logger('access', { worker: process.pid }) : null;
    router = buildRouter({ ...options, accessLog: access, log: logger('router', { worker: process.pid }) });
    router.setRoutes(m.routes);
    router.server.once('error', (err) => {
      send({ type: 'error', message: err.message });
      process.exit(1);
    });
    router.server.listen(m.listen.port, m.listen.host, () => send({ type: 'listening', port: (router!.server.address() as AddressInfo).port }));
  } else if (m.type === 'routes') {
    router?.setRoutes(m.routes);
  } else if (m.type === 'close') {
    const r = router;
    const timer = setTimeout(() => process.exit(0), m.drainMs);
    void (r ? r.close() : Promise.resolve()).finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(0)); // the primary is gone: so is this worker
// Ctrl-C reaches the whole process group: the primary decides when workers stop (a drain).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
send({ type: 'ready' }); // messages sent before the listener above existed would be lost
