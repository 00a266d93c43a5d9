import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { createNamespaceRuntime, type NamespaceRuntimeOptions } from './namespace-runtime.ts';
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
