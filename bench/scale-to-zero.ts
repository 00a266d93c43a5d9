// Wake from zero, run with `node --import tsx bench/scale-to-zero.ts [sites]`: a real
// `corral up` (two router workers), N app sites (examples/node-app, default 20) with
// --min-replicas 0 and a short idle timeout; once every site is idle (no VS), each is
// woken by one GET on a new connection, one site after another in random order, and the
// time to the whole 200 is taken. Repeated BENCH_ROUNDS times (each round waits for
// every site to be idle again). Prints wake p50/p99/max and the failures (must be 0).
// Environment: BENCH_ROUNDS (default 3), BENCH_IDLE (idle timeout, default 2s),
// BENCH_RUNTIME (process|namespace; default what `corral up` picks).
// Copy the figures into bench/RESULTS.md with the date and machine.
import { join } from 'node:path';
import { ok, removeDir, REPO, startFarmProcess } from '../test/helpers/farm-process.ts';
import { waitFor } from '../src/lib/wait.ts';
import { routerGet } from '../test/helpers/http.ts';
import { quantile, shuffle } from './density/samples.ts';

const SITES = Number(process.argv[2] ?? process.env.BENCH_SITES ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE = process.env.BENCH_IDLE ?? '2s';

const farm = await startFarmProcess({ extraArgs: ['--router-workers', '2', ...(process.env.BENCH_RUNTIME ? ['--runtime', process.env.BENCH_RUNTIME] : [])] });
try {
  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${farm.apiUrl}${path}`, { headers: { authorization: `Bearer ${farm.token}` } })).json()) as T;
  const running = async () => new Set((await api<{ virtualServers: { site: string }[] }>('/v1/vs')).virtualServers.map((v) => v.site));

  await ok(farm.cli(['customer', 'create', 'bench']));
  const names = Array.from({ length: SITES }, (_, i) => `z${i}`);
  const created = performance.now();
  for (const name of names) {
    await ok(farm.cli(['site', 'create', name, '--customer', 'bench', '--kind', 'app', '--command', 'node server.js', '--health', '/health',
      '--domain', `${name}.bench.test`, '--drain-timeout', '0', '--min-replicas', '0', '--max-replicas', '1', '--idle-timeout', IDLE]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', name]));
  }
  console.log(`${SITES} app sites created and deployed in ${((performance.now() - created) / 1000).toFixed(1)} s (scale to zero after ${IDLE} idle)`);

  const wakes: number[] = [];
  const failures: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await waitFor(async () => (await running()).size === 0, { timeoutMs: 120_000, what: 'every site idle' });
    for (const name of shuffle(names)) {
      const r = await routerGet(farm.routerUrl, `${name}.bench.test`, false); // a new connection, as a first visitor
      if (r.status === 200) wakes.push(r.ms);
      else failures.push(`${name}: ${r.status} ${r.body.slice(0, 100)}`);
    }
    console.log(`round ${round}: ${SITES} wakes`);
  }
  wakes.sort((a, b) => a - b);
  const q = (p: number) => quantile(wakes, p);
  console.log(`wake from zero → 200 (app site, ${wakes.length} wakes): p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${(wakes.at(-1) ?? NaN).toFixed(0)} ms`);
  console.log(`failed: ${failures.length}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
  if (failures.length > 0) process.exitCode = 1;
} finally {
  await farm.stop();
  await removeDir(farm.dir);
}
