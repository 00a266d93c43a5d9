// `corral engine --runtime namespace`: a joined engine runs its virtual servers as
// namespace guests (own pid namespace, cgroup limits) and publishes each on its
// --address through a forwarder, so a router that cannot reach the engine's private
// bridge still serves the site.

import assert from 'node:assert/strict';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { namespaceSkip } from '../engine/namespace/testing.ts';
import { onCleanup } from '../engine/testing.ts';
import { etcdMissing } from '../store/etcd-testing.ts';
import { startRouterNode } from './index.ts';
import { startEtcdFarm, startNamespaceEngine } from './testing.ts';
import { siteReplicas, uploadStaticExample } from '../../test/helpers/cluster-api.ts';
import { get } from '../../test/helpers/http.ts';

const HOST = 'www.acme.test';
const skip = etcdMissing() || (await namespaceSkip());

it('an engine joined with --runtime namespace runs guests in their own namespaces, reached through its --address', { skip, timeout: 90_000 }, async (t) => {
  const farm = await startEtcdFarm(t, 'corral-nsengine-');
  const { controller, admin, joinToken } = farm;
  const { engine } = await startNamespaceEngine(t, farm);
  assert.equal(engine.runtime, 'namespace');
  const router = await startRouterNode({ join: controller.apiUrl, token: joinToken, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger });
  onCleanup(t, () => router.close());

  // the engine record says which runtime (corral engine list)
  const engines = (await admin.call<{ engines: { id: string; runtime: string }[] }>('GET', '/v1/engines')).json.engines;
  assert.deepEqual(engines.map((e) => `${e.id}:${e.runtime}`), ['e1:namespace']);

  assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
  assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: [HOST], kind: 'static', replicas: 1 })).status, 201);
  const up = await uploadStaticExample(controller.apiUrl, controller.adminToken, 'www');
  assert.equal(up.status, 201, up.body);
  await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1, { what: 'a ready replica', timeoutMs: 30_000 });

  // published on the engine's address, not on the bridge the router could not reach from another host
  const vs = (await admin.call<{ virtualServers: { vs: string; address?: string; port?: number; pid?: number }[] }>('GET', '/v1/sites/www/status')).json.virtualServers[0]!;
  assert.equal(vs.address, '127.0.0.1', JSON.stringify(vs));
  // the guest's processes run in another pid namespace than this one (the engine's)
  const pid = engine.agent.snapshot().get(vs.vs)?.pid;
  assert.ok(pid, 'the VS has a pid');
  const own = await readlink('/proc/self/ns/pid');
  const nsOf = async (p: number) => readlink(`/proc/${p}/ns/pid`).catch(() => own);
  const tree = await descendants(pid);
  const foreign = (await Promise.all(tree.map(nsOf))).filter((ns) => ns !== own);
  assert.ok(foreign.length > 0, `a process of the guest in its own pid namespace (tree ${tree.join(',')})`);
  await waitFor(async () => (await get(router.url, HOST)).status === 200, { what: 'the router serving the site through the forwarder' });
});

async function descendants(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const tasks = await readdir(`/proc/${out[i]}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const kids = await readFile(`/proc/${out[i]}/task/${task}/children`, 'utf8').catch(() => '');
      out.push(...kids.split(' ').filter(Boolean).map(Number));
    }
  }
  return out;
}
