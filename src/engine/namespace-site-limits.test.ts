// A site's own resources and outbound policy, seen from inside real namespace guests:
// per-site cgroup and /tmp limits, the data folder's quota (a loop-mounted ext4: writes
// past it fail with ENOSPC while the guest keeps serving), and egress 'none' vs 'engine'.

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { openCgroups } from './namespace/cgroups.ts';
import { imagePath, isMountPoint } from './namespace/data-disk.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import type { Runtime } from './runtime.ts';
import { appSpec, httpGet, onCleanup, tempDir, writeTestRelease } from './testing.ts';

const skip = await namespaceSkip();
const MIB = 2 ** 20;

async function setup(t: import('node:test').TestContext) {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const netw = await testNetwork(t);
  const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...netw });
  onCleanup(t, () => runtime.destroy());
  return { base, runtime, bridge: netw.bridge, gateway: netw.subnet.replace(/\.0\/\d+$/, '.1') };
}

async function sh(runtime: Runtime, vs: string, script: string) {
  return runtime.exec!(vs, ['/bin/sh', '-c', script]);
}

test('per-site limits reach the cgroups and /tmp; the data quota is enforced with ENOSPC and the guest keeps serving', { skip }, async (t) => {
  const { base, runtime, bridge } = await setup(t);
  const spec = { ...appSpec(base, 'lim-a'), limits: { memoryBytes: 80 * MIB, cpuQuota: 0.5, pidsMax: 40, tmpBytes: 4 * MIB, diskBytes: 16 * MIB } };
  const vs = await runtime.start(spec);
  await waitFor(() => httpGet(vs.address, vs.port), { what: 'guest' });
  const info = (await runtime.inspect!('lim-a'))!;
  assert.deepEqual(info.limits, { memoryBytes: 80 * MIB, cpuWeight: 100, cpuQuota: 0.5, pidsMax: 40, diskBytes: 16 * MIB });
  const dirs = (await openCgroups(bridge))!.dirs('lim-a');
  const quotaFile = await Promise.all(dirs.flatMap((d) => [path.join(d, 'cpu.cfs_quota_us'), path.join(d, 'cpu.max')]).map((f) => readFile(f, 'utf8').catch(() => '')));
  const quota = quotaFile.find((q) => q !== '') ?? '';
  assert.match(quota, /^50000\b/, `half a core: ${quota}`);

  assert.notEqual((await sh(runtime, 'lim-a', 'head -c 6000000 /dev/zero > /tmp/big')).code, 0, '/tmp is capped at 4 MiB');
  assert.equal((await sh(runtime, 'lim-a', 'head -c 4000000 /dev/zero > /srv/data/ok && echo fine')).stdout.trim(), 'fine');
  const over = await sh(runtime, 'lim-a', 'head -c 30000000 /dev/zero > /srv/data/big');
  assert.notEqual(over.code, 0, 'writing past the 16 MiB quota fails');
  assert.match(over.stderr, /No space left on device/);
  assert.equal((await httpGet(vs.address, vs.port)).status, 200, 'the guest keeps serving');
  assert.ok(await isMountPoint(spec.dataDir), 'the data folder is its own filesystem');
  await sh(runtime, 'lim-a', 'rm /srv/data/big');

  await runtime.stop('lim-a', 2000);
  assert.equal(await isMountPoint(spec.dataDir), false, 'unmounted with its last guest');
  assert.ok((await stat(imagePath(spec.dataDir))).isFile(), 'the image keeps the data');
  const again = await runtime.start({ ...spec, limits: { ...spec.limits, diskBytes: 48 * MIB } });
  await waitFor(() => httpGet(again.address, again.port), { what: 'guest again' });
  assert.equal((await sh(runtime, 'lim-a', 'wc -c < /srv/data/ok')).stdout.trim(), '4000000', 'data survives a restart');
  const grown = await sh(runtime, 'lim-a', 'head -c 30000000 /dev/zero > /srv/data/big && echo fine');
  assert.equal(grown.stdout.trim(), 'fine', `a raised quota grows the filesystem: ${grown.stderr}`);
});

test("egress 'none' cannot connect to the engine's bridge address, 'engine' can; the router reaches both", { skip }, async (t) => {
  const { base, runtime, gateway } = await setup(t);
  const none = await runtime.start(appSpec(base, 'eg-none'));
  const open = await runtime.start({ ...appSpec(base, 'eg-open'), site: 'opensite', dataDir: path.join(base, 'data', 'opensite'), egress: 'engine' });
  await waitFor(() => httpGet(none.address, none.port), { what: 'guest none' });
  await waitFor(() => httpGet(open.address, open.port), { what: 'guest engine' });
  const server = net.createServer((s) => s.end('engine\n'));
  await new Promise<void>((r) => server.listen(0, gateway, r));
  onCleanup(t, () => new Promise((r) => server.close(r)));
  const port = (server.address() as net.AddressInfo).port;
  const probe = `const s = require('net').connect(${port}, '${gateway}'); s.setTimeout(3000);
s.on('data', (d) => { process.stdout.write('connected ' + d); process.exit(0); });
s.on('timeout', () => { console.log('timeout'); process.exit(1); }); s.on('error', (e) => { console.log(e.code); process.exit(1); });`;
  const denied = await runtime.exec!('eg-none', [process.execPath, '-e', probe]);
  assert.notEqual(denied.code, 0, `egress none: ${denied.stdout}${denied.stderr}`);
  assert.match(denied.stdout, /ENETUNREACH/);
  const allowed = await runtime.exec!('eg-open', [process.execPath, '-e', probe]);
  assert.equal(allowed.stdout.trim(), 'connected engine', allowed.stderr);
  assert.equal((await httpGet(none.address, none.port)).status, 200, 'the router still reaches the none guest');
  assert.equal((await httpGet(open.address, open.port)).status, 200);
  const selfCall = await runtime.exec!('eg-none', [process.execPath, '-e', `require('http').get('http://127.0.0.1:${none.port}/', (r) => console.log(r.statusCode)).on('error', (e) => console.log(e.code))`]);
  assert.ok(/200|ECONNREFUSED/.test(selfCall.stdout), `local traffic inside the guest still routes: ${selfCall.stdout}`);
});
