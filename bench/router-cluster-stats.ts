// What the router workers' reporting costs (per-site samples and metric values sent to
// the primary every second, src/router/cluster-stats.ts): the same 2-worker router
// cluster and backend, driven by an undici client, with router.metrics off and on, in
// alternating rounds (baseline measured in the same run).
//
//   node --import tsx bench/router-cluster-stats.ts   (env BENCH_SECONDS per round, default 3; BENCH_ROUNDS, default 3)
import { startRouterCluster } from '../src/router/index.ts';
import { abRounds, driveLoad, startBenchBackend } from './ab-rounds.ts';

const backend = await startBenchBackend();

async function round(metrics: boolean): Promise<number> {
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, router: { metrics }, routes: [backend.route] });
  const rps = await driveLoad(rc.port);
  await rc.close(2_000);
  return rps;
}

await abRounds(round, { setup: '2 workers, ', off: 'workers, metrics off', on: 'workers, metrics on', ratio: 'on / off' });
backend.close();
