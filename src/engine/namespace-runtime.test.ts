import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { createNamespaceRuntime, type NamespaceRuntimeOptions } from './namespace-runtime.ts';
import { isMountPoint } from './namespace/data-disk.ts';
import { GUEST_DB_PORT } from './namespace/db-forwarder.ts';
import { run } from './namespace/host-command.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import { runtimeContract } from './runtime.contract.ts';
import { appSpec, httpGet, onCleanup, tempDir, writeTestRelease } from './testing.ts';
import { waitFor } from '../lib/wait.ts';

const skip = await namespaceSkip();
let counter = 0;

// The contract's factory is synchronous: each runtime gets its own bridge from a small fixed
// range keyed by process and counter (testNetwork, used below, claims one atomically instead).
function contractNet() {
  const n = 100 + ((process.pid + counter++) % 100);
  return { bridge: `cc${process.pid % 1000}x${counter}`, subnet: `10.215.${n}.0/24` };
}

if (skip) test('namespace runtime', { skip }, () => {});
else runtimeContract('namespace', (base) => createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, removeBridge: true, ...contractNet() }), { dataDirInGuest: '/srv/data', pidNamespace: true });

async function nsRuntime(t: import('node:test').TestContext, extra: Partial<NamespaceRuntimeOptions> = {}) {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const net = await testNetwork(t);
  const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...net, ...extra });
  onCleanup(t, () => runtime.destroy());
  return { base, runtime, net };
}

test('a guest has its own address on the engine bridge', { skip }, async (t) => {
  const { base, runtime, net } = await nsRuntime(t);
  const vs = await runtime.start(appSpec(base, 'addr-a'));
  assert.ok(vs.address.startsWith(net.subnet.replace('0/24', '')));
  const res = await waitFor(() => httpGet(vs.address, vs.port, '/x'), { what: 'guest to answer' });
  assert.equal(JSON.parse(res.body).vs, 'addr-a');
});

test('a start whose network fails while its cgroups and data disk are made leaves nothing behind, and a later start runs', { skip }, async (t) => {
  const { base, runtime, net } = await nsRuntime(t);
  await runtime.reapOrphans();
  await run('ip', ['link', 'del', net.bridge]);
  const spec = { ...appSpec(base, 'fail-a'), site: 'fail-site', dataDir: path.join(base, 'data', 'fail-site') };
  await assert.rejects(runtime.start(spec), (err: Error & { code?: string }) => err.code === 'ENGINE_HOST_COMMAND_FAILED');
  // the data disk (made slower than the network fails) was mounted and is unmounted again; no netns or cgroup is left
  assert.equal(await isMountPoint(spec.dataDir), false);
  assert.deepEqual(await readdir(path.join(base, 'run', '.mounts')).catch(() => []), []);
  assert.equal(existsSync(`/run/netns/${net.bridge}-fail-a`), false);
  assert.equal(await runtime.reapOrphans(), 0);
  await run('ip', ['link', 'add', 'name', net.bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${net.subnet.replace(/0\/24$/, '1')}/24`, 'dev', net.bridge]);
  await run('ip', ['link', 'set', net.bridge, 'up']);
  const vs = await runtime.start(spec);
  const res = await waitFor(() => httpGet(vs.address, vs.port, '/x'), { what: 'guest to answer after the failed start' });
  assert.equal(JSON.parse(res.body).vs, 'fail-a');
  assert.equal(await isMountPoint(spec.dataDir), true);
});

test('the runtime says whether guests reach its database: not when the forwarder\'s port on the bridge is taken', { skip }, async (t) => {
  const net = await testNetwork(t);
  const gateway = net.subnet.replace(/0\/24$/, '1');
  await run('ip', ['addr', 'add', `${gateway}/24`, 'dev', net.bridge]);
  const squatter = createServer();
  await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(GUEST_DB_PORT, gateway, resolve));
  onCleanup(t, () => new Promise<void>((r) => squatter.close(() => r())));
  const base = await tempDir(t);
  const database = { host: '127.0.0.1', port: 5 };
  const taken = createNamespaceRuntime({ runDir: path.join(base, 'run-a'), log: silentLogger, ...net, database });
  onCleanup(t, () => taken.destroy());
  assert.equal(await taken.reachesDatabase?.(), false, 'its forwarder could not listen: no guest would reach the database');
  await taken.destroy();
  await new Promise<void>((r) => squatter.close(() => r()));
  const free = createNamespaceRuntime({ runDir: path.join(base, 'run-b'), log: silentLogger, ...net, database });
  onCleanup(t, () => free.destroy());
  assert.equal(await free.reachesDatabase?.(), true);
  const none = createNamespaceRuntime({ runDir: path.join(base, 'run-c'), log: silentLogger, ...net });
  onCleanup(t, () => none.destroy());
  assert.equal(await none.reachesDatabase?.(), false, 'no database target');
});
