// Engine failover at default settings: a farm on a 3-member etcd (loopback), one
// controller, three engines and a router in this process; a static site with 2
// replicas; a request loop (4 concurrent GETs) through the router. Each round kills
// the engine of one replica like a crash (every VS killed at once, lease left to
// expire), times death → 2 ready replicas again, counts failed requests, then brings
// the engine back empty. Run: node --import tsx bench/failover.ts  (env ROUNDS=5)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/lib/log.ts';
import { waitFor } from '../src/lib/wait.ts';
import { startEtcdCluster } from '../src/store/etcd-testing.ts';
import { startControllerNode, startEngineNode, startRouterNode, type EngineNode } from '../src/cluster/index.ts';
import { apiOf, replacedOff, siteReplicas, uploadStaticExample } from '../test/helpers/cluster-api.ts';
import { get, requestLoop } from '../test/helpers/http.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const HOST = 'www.bench.test';
const root = mkdtempSync(join(tmpdir(), 'corral-failover-'));
const etcd = await startEtcdCluster({ members: 3 });
const engines = new Map<string, EngineNode>();
try {
  const store = { endpoints: etcd.endpoints, namespace: '/bench' };
  const c = await startControllerNode({ store, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger });
  const api = apiOf(() => [c.apiUrl], c.adminToken);
  const jt = (await api.call<{ token: string }>('POST', '/v1/join-tokens', {})).json.token;
  const startEngine = async (id: string) => engines.set(id, await startEngineNode({ join: c.apiUrl, token: jt, id, dir: join(root, id), log: silentLogger }));
  for (const id of ['e1', 'e2', 'e3']) await startEngine(id);
  const router = await startRouterNode({ join: c.apiUrl, token: jt, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger });
  await api.call('POST', '/v1/customers', { name: 'bench' });
  await api.call('POST', '/v1/sites', { name: 'www', customer: 'bench', domains: [HOST], kind: 'static', replicas: 2 });
  await uploadStaticExample(c.apiUrl, c.adminToken, 'www');
  await waitFor(async () => (await siteReplicas(api, 'www')).ready === 2 && (await get(router.url, HOST)).status === 200, { what: 'the site', timeoutMs: 30_000 });

  const rows: { ms: number; total: number; failed: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const loop = requestLoop(router.url, HOST, { concurrency: 4 });
    await waitFor(() => loop.result.total > 100, { what: 'traffic' });
    const victim = (await siteReplicas(api, 'www')).readyOn[0]!;
    const died = Date.now();
    await engines.get(victim)!.destroy();
    await replacedOff(api, 'www', victim, 2, { timeoutMs: 60_000, intervalMs: 20 });
    const ms = Date.now() - died;
    const result = await loop.stop();
    rows.push({ ms, total: result.total, failed: result.failed.length });
    console.log(`round ${round + 1}: engine ${victim} died → 2/2 replicas ready in ${ms} ms; ${result.total} requests, ${result.failed.length} failed`);
    await startEngine(victim);
  }
  const sorted = rows.map((r) => r.ms).sort((a, b) => a - b);
  console.log(`median ${sorted[Math.floor(sorted.length / 2)]} ms (min ${sorted[0]}, max ${sorted.at(-1)}); failed ${rows.reduce((n, r) => n + r.failed, 0)} of ${rows.reduce((n, r) => n + r.total, 0)}`);
  await router.close();
  for (const e of engines.values()) await e.close();
  await c.close();
} finally {
  await etcd.close();
  rmSync(root, { recursive: true, force: true });
}
process.exit(0);
