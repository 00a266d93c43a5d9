// The one-machine farm behind `corral up`: a SQLite store, the controller (API and
// reconciler), one engine agent with the best runtime available, and the router,
// all in this process; virtual servers are child process groups.
//
// Start order: store → admin token → controller API → reconciler → engine → router.
// Stop order is the reverse, so nothing serves traffic from a half-stopped farm.

import { mkdir, writeFile, rename, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { openSqliteStore } from '../store/index.ts';
import { buildController, ensureAdminToken, openBlobStore, startReconciler } from '../controller/index.ts';
import { buildEngineAgent, createProcessRuntime, createEngineLogs } from '../engine/index.ts';
import { buildRouter, watchRoutes } from '../router/index.ts';
import { logger, type Logger } from '../lib/log.ts';

export interface FarmOptions {
  dir: string;
  httpPort: number;
  apiPort: number;
  /** Address both listeners bind to. */
  host: string;
  engineId?: string;
  log?: Logger;
  drainDelayMs?: number;
}

export interface Farm {
  dir: string;
  routerUrl: string;
  apiUrl: string;
  tokenFile: string;
  adminToken: string;
  tokenCreated: boolean;
  engineId: string;
  runtime: string;
  close(): Promise<void>;
}

export async function startFarm(opts: FarmOptions): Promise<Farm> {
  const dir = resolve(opts.dir);
  const log = opts.log ?? logger('farm');
  const partLog = (part: string): Logger => (opts.log ? opts.log.child({ part }) : logger(part));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    closers.length = 0;
  };
  try {
    const store = await openSqliteStore(join(dir, 'store.db'));
    closers.push(() => store.close());
    const admin = await ensureAdminToken(store, dir);
    const blobs = await openBlobStore(join(dir, 'blobs'));

    const engineId = opts.engineId ?? (hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40) || 'engine');
    const engineDir = join(dir, 'engine');
    const engineLogs = createEngineLogs(engineDir);
    const api = await buildController({ store, blobs, engineLogs, log: partLog('controller') });
    closers.push(() => api.close());
    await api.listen({ port: opts.apiPort, host: opts.host });
    const apiUrl = `http://${urlHost(opts.host)}:${(api.server.address() as AddressInfo).port}`;

    const reconciler = await startReconciler({ store, log: partLog('reconciler'), ...(opts.drainDelayMs !== undefined ? { drainDelayMs: opts.drainDelayMs } : {}) });
    closers.push(() => reconciler.close());

    const runtime = createProcessRuntime({ runDir: join(engineDir, 'run'), log: partLog('runtime') });
    const agent = buildEngineAgent({
      store, engineId, dir: engineDir, runtime, log: partLog('engine'),
      fetchBlob: async (sha256) => blobs.path(sha256),
    });
    await agent.start();
    closers.push(() => agent.close());

    const router = buildRouter({ log: partLog('router') });
    const stopWatch = await watchRoutes(store, router, partLog('router'));
    closers.push(async () => { await stopWatch(); await router.close(); });
    await new Promise<void>((ok, fail) => {
      router.server.once('error', fail);
      router.server.listen(opts.httpPort, opts.host, () => ok());
    });
    const routerUrl = `http://${urlHost(opts.host)}:${(router.server.address() as AddressInfo).port}`;

    await writeAtomic(join(dir, 'api-url'), `${apiUrl}\n`);
    await writeAtomic(join(dir, 'router-url'), `${routerUrl}\n`);
    closers.push(async () => { await rm(join(dir, 'api-url'), { force: true }); await rm(join(dir, 'router-url'), { force: true }); });

    return {
      dir, routerUrl, apiUrl, engineId, runtime: runtime.name,
      tokenFile: join(dir, 'admin-token'), adminToken: admin.token, tokenCreated: admin.created,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}
