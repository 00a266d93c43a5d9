// Cold start of an app VS (examples/node-app) on the namespace runtime, broken down by
// stage. Run as root (one command):
//   node --import tsx bench/cold-start.ts [rounds=8]
// Per round: runtime.start (its stages from the `vs.started` log line: ms from the start of
// the launch to the end of cgroups, network, disk, files, spawn) → the guest's port accepts a TCP connection (polled every 2 ms:
// bwrap + setpriv + Node starting the app) → first 200 through the router (route set, then
// polled every 5 ms). Three series: a new site each round (its data image made with
// mkfs.ext4), the same site again (image exists: mount only), and the supervisor's own
// readiness (start → `ready` with the default timing: what the engine reports).

import { cp, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createNamespaceRuntime, createSupervisor, type VsSpec } from '../src/engine/index.ts';
import { buildRouter } from '../src/router/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { routerGet } from '../test/helpers/http.ts';
import { median } from './density/samples.ts';
import { waitFor } from '../src/lib/wait.ts';

const REPO = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const rounds = Number(process.argv[2] ?? 8);
const base = await mkdtemp(path.join(tmpdir(), 'corral-bench-cold-'));
await cp(path.join(REPO, 'examples', 'node-app'), path.join(base, 'app'), { recursive: true });

let lastStages: Record<string, number> = {};
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) {
      if (!line.includes('"vs.started"')) continue;
      lastStages = (JSON.parse(line) as { stagesMs?: Record<string, number> }).stagesMs ?? {};
    }
    done();
  },
});
const log = pino({ level: 'info' }, sink);
const router = buildRouter({ log: silentLogger });
await new Promise<void>((r) => router.server.listen(0, '127.0.0.1', r));
const routerUrl = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;
const rt = createNamespaceRuntime({ runDir: path.join(base, 'run'), log, bridge: 'cbcold0', subnet: '10.217.0.0/24', removeBridge: true });
await rt.reapOrphans();

function spec(name: string, site: string): VsSpec {
  return {
    name, site, customer: 'cust-bench', kind: 'app', releaseDir: path.join(base, 'app'), dataDir: path.join(base, 'data', site),
    logFile: path.join(base, 'logs', `${name}.log`), command: 'node server.js', domains: [`${name}.bench`], healthPath: '/health', env: {},
  };
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** The status of GET / for this Host through the router (0: no answer). */
const get = async (host: string): Promise<number> => (await routerGet(routerUrl, host, false)).status;

type Row = Record<string, number>;

async function coldStart(name: string, site: string): Promise<Row> {
  const t0 = performance.now();
  const vs = await rt.start(spec(name, site));
  const started = performance.now();
  await waitFor(() => connects(vs.address, vs.port), { intervalMs: 2, timeoutMs: 30_000, what: `${name} listening` });
  const listening = performance.now();
  router.setRoutes([{ site: name, domains: [`${name}.bench`], endpoints: [{ vs: name, address: vs.address, port: vs.port, release: 'r1' }], updatedAt: '' }]);
  await waitFor(async () => (await get(`${name}.bench`)) === 200, { intervalMs: 5, timeoutMs: 30_000, what: `${name} served through the router` });
  const done = performance.now();
  return { ...lastStages, 'start()': started - t0, guest: listening - started, router: done - listening, total: done - t0 };
}

async function supervised(name: string, site: string): Promise<Row> {
  const t0 = performance.now();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const sup = createSupervisor({ runtime: rt, spec: spec(name, site), log: silentLogger, onState: (s) => s.state === 'ready' && ready() });
  sup.start();
  await isReady;
  const total = performance.now() - t0;
  await sup.stop(2_000);
  return { ...lastStages, ready: total };
}


function print(title: string, rows: Row[]) {
  console.log(`\n## ${title} (median of ${rows.length}, ms; min–max)`);
  for (const key of Object.keys(rows[0]!)) {
    const xs = rows.map((r) => r[key] ?? 0);
    console.log(`${key.padEnd(9)} ${median(xs).toFixed(1).padStart(7)}   (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`);
  }
}

try {
  const fresh: Row[] = [];
  const again: Row[] = [];
  const sup: Row[] = [];
  for (let i = 0; i < rounds; i++) {
    fresh.push(await coldStart(`cold-new-${i}`, `site-new-${i}`));
    await rt.stop(`cold-new-${i}`, 2_000);
    again.push(await coldStart(`cold-again-${i}`, 'site-again'));
    await rt.stop(`cold-again-${i}`, 2_000);
    sup.push(await supervised(`cold-sup-${i}`, 'site-again'));
  }
  print('new site: start → listening → first 200 through the router', fresh);
  print('existing site (data image made): start → listening → first 200', again);
  print('supervisor: start → ready (default timing)', sup);
} finally {
  await rt.destroy();
  await router.close();
  await rm(base, { recursive: true, force: true });
}
