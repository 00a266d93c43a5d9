// Scale to zero on a farm on etcd with two router nodes (`corral router`, each with
// its workers) and an engine on its own host: an idle app site is woken by requests
// that arrive at both routers at once, all served by the one VS the wake started; load
// at either router keeps it awake. Root only (namespaces), needs etcd.
import assert from 'node:assert/strict';
import { setInterval as pace } from 'node:timers/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../src/lib/wait.ts';
import { etcdMissing } from '../src/store/etcd-testing.ts';
import { ok, REPO } from './helpers/farm-process.ts';
import { startHostsFarm, type HostsFarm } from './helpers/hosts-farm.ts';
import { get, getFresh } from './helpers/http.ts';
import { netnsMissing } from './helpers/netns.ts';
import { startRole, type RoleProcess } from './helpers/role-process.ts';

const skip = netnsMissing() || etcdMissing();
const HOST = 'nap.acme.test';

describe('scale to zero behind two router nodes', { skip, timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-s2z-'));
  let farm: HostsFarm;
  let r2: RoleProcess;
  let r2Url = '';

  before(async () => {
    farm = await startHostsFarm(root, { controllers: 1, engines: 1 });
    const joinToken = /token: (\S+)/.exec((await ok(farm.cli(['join-token', 'create', '--name', 'r2']))).stdout)![1]!;
    r2 = startRole(['--dir', join(root, 'r2'), 'router', '--join', farm.urls().join(','), '--token', joinToken, '--http-port', '0', '--api-port', '0', '--host', '127.0.0.1', '--id', 'r2']);
    r2Url = (await r2.until(/up at (http:\/\/\S+)/))[1]!;
  });
  after(async () => {
    await r2?.kill('SIGKILL');
    await farm?.close();
  });

  const servers = async () =>
    (await farm.admin.call<{ virtualServers: { site: string }[] }>('GET', '/v1/vs')).json.virtualServers.filter((v) => v.site === 'nap').length;

  it('an idle site is woken by requests at both routers, served by one VS; load at one router keeps it awake', async (t) => {
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'nap', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health',
      '--domain', HOST, '--drain-timeout', '0', '--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', '2s']));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'nap'])).catch((err: Error) => {
      throw new Error(`${err.message}\n${farm.dump()}`);
    });
    await waitFor(async () => (await get(r2Url, HOST)).status === 200, { what: 'nap served through r2', timeoutMs: 30_000 });

    // load at r2 alone, a request every 500 ms for three idle timeouts: never idle
    // (a paced load, not a wait: one request per 500 ms tick for 6 s)
    const until = Date.now() + 6_000;
    for await (const _tick of pace(500)) {
      assert.equal((await get(r2Url, HOST)).status, 200);
      assert.equal(await servers(), 1, 'awake while r2 has requests');
      if (Date.now() >= until) break;
    }

    await waitFor(async () => (await servers()) === 0, { what: 'idle, its VS stopped', timeoutMs: 30_000 });
    const t0 = performance.now();
    const replies = await Promise.all([farm.routerUrl, r2Url, farm.routerUrl, r2Url, r2Url, farm.routerUrl].map((u) => getFresh(u, HOST)));
    t.diagnostic(`wake from zero over two router nodes: ${replies.length} × ${replies.map((r) => r.status).join('/')} in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(replies.map((r) => r.status), Array(6).fill(200), replies.map((r) => r.body).join('\n'));
    assert.equal(new Set(replies.map((r) => (JSON.parse(r.body) as { vs: string }).vs)).size, 1, 'one VS served them all');
    assert.equal(await servers(), 1);
  });
});
