// kill -9 of the process running a namespace runtime, then a new runtime on the same
// bridge: reapOrphans removes the namespaces, veths, cgroups and mounts left behind,
// and the VS starts again.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { openCgroups } from './namespace/cgroups.ts';
import { isMountPoint } from './namespace/data-disk.ts';
import { guestNetwork } from './namespace/network.ts';
import { parseSubnet } from './namespace/subnet.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import { appSpec, httpGet, onCleanup, tempDir, writeTestRelease } from './testing.ts';

const skip = await namespaceSkip();
const here = path.dirname(fileURLToPath(import.meta.url));

const CHILD = (base: string, bridge: string, subnet: string) => `
import { createNamespaceRuntime } from ${JSON.stringify(path.join(here, 'namespace-runtime.ts'))};
import { appSpec } from ${JSON.stringify(path.join(here, 'testing.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(here, '..', 'lib', 'log.ts'))};
const rt = createNamespaceRuntime({ runDir: ${JSON.stringify(path.join(base, 'run'))}, bridge: '${bridge}', subnet: '${subnet}', log: silentLogger });
const vs = await rt.start(appSpec(${JSON.stringify(base)}, 'crash-a', { IGNORE_TERM: '1' }));
console.log(JSON.stringify({ address: vs.address, port: vs.port, pid: vs.pid }));
setInterval(() => {}, 1000);
`;

test('after kill -9 of the agent, reapOrphans leaves no namespace, veth, cgroup or mount, and the VS runs again', { skip }, async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const net = await testNetwork(t);
  const script = path.join(base, 'child.mts');
  await writeFile(script, CHILD(base, net.bridge, net.subnet));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(t, () => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const vs = JSON.parse(line) as { address: string; port: number; pid: number };
  await waitFor(() => httpGet(vs.address, vs.port), { what: 'guest of the doomed agent' });

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const network = guestNetwork(net.bridge, parseSubnet(net.subnet));
  const cgroups = (await openCgroups(net.bridge))!;
  assert.deepEqual(await network.listNamespaces(), ['crash-a'], 'the crash left its netns behind');
  assert.deepEqual(await cgroups.list(), ['crash-a'], 'and its cgroups');
  const dataDir = appSpec(base, 'crash-a').dataDir;
  assert.ok(await isMountPoint(dataDir), 'and the mount of its data folder (disk quota)');

  const fresh = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...net });
  onCleanup(t, () => fresh.destroy());
  assert.equal(await fresh.reapOrphans(), 1);
  assert.deepEqual(await network.listNamespaces(), []);
  assert.deepEqual(await network.listPorts(), []);
  assert.deepEqual(await cgroups.list(), []);
  assert.doesNotMatch(await readFile('/proc/self/mounts', 'utf8'), new RegExp(`/run/netns/${net.bridge}-`));
  assert.equal(await isMountPoint(dataDir), false, 'the data folder is unmounted');
  assert.ok(!(await running(vs.pid)), 'the guest is gone');
  assert.equal(await fresh.reapOrphans(), 0);

  const again = await fresh.start(appSpec(base, 'crash-a'));
  const res = await waitFor(() => httpGet(again.address, again.port), { what: 'VS running again' });
  assert.equal(JSON.parse(res.body).vs, 'crash-a');
});

/** Alive and not a zombie (the dead agent's children are reparented, maybe to an init that does not reap). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}
