// What the console's per-site request figures cost the router: the same in-process
// router and backend, driven by an undici client, with and without trackSiteStats
// attached, in alternating rounds (baseline measured in the same run).
//
//   node --import tsx bench/site-stats.ts      (env BENCH_SECONDS per round, default 3; BENCH_ROUNDS, default 3)
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../src/lib/log.ts';
import { buildRouter, trackSiteStats } from '../src/router/index.ts';
import { abRounds, driveLoad, startBenchBackend } from './ab-rounds.ts';

const backend = await startBenchBackend();

async function round(withStats: boolean): Promise<number> {
  const router = buildRouter({ log: silentLogger });
  router.setRoutes([backend.route]);
  const stats = withStats ? trackSiteStats(router) : undefined;
  stats?.setRoutes([backend.route]);
  await new Promise<void>((ok) => router.server.listen(0, '127.0.0.1', ok));
  const rps = await driveLoad((router.server.address() as AddressInfo).port);
  stats?.close();
  await router.close();
  return rps;
}

await abRounds(round, { setup: '', off: 'router alone', on: 'router + site stats', ratio: 'stats / alone' });
backend.close();
