// What a customer's code can see and do from inside a namespace guest, and what its
// limits do to it. Every check runs inside a real guest (runtime.exec or its own command).

import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { customerUid } from './namespace/guest-command.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import type { Runtime } from './runtime.ts';
import { createSupervisor } from './supervisor.ts';
import { appSpec, httpGet, onCleanup, tempDir, writeTestRelease } from './testing.ts';

const skip = await namespaceSkip();

async function setup(t: import('node:test').TestContext, limits = {}) {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const net = await testNetwork(t);
  const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...net, limits });
  onCleanup(t, () => runtime.destroy());
  return { base, runtime, net };
}

/** Two customers' guests: a (customer c1) and b (customer c2, site othersite, a secret in its data). */
async function twoCustomers(t: import('node:test').TestContext) {
  const s = await setup(t);
  const a = await s.runtime.start(appSpec(s.base, 'iso-a'));
  const bSpec = { ...appSpec(s.base, 'iso-b'), customer: 'c2', site: 'othersite', dataDir: path.join(s.base, 'data', 'othersite') };
  await mkdir(bSpec.dataDir, { recursive: true });
  await writeFile(path.join(bSpec.dataDir, 'secret.txt'), 'c2 secret');
  const b = await s.runtime.start(bSpec);
  await waitFor(() => httpGet(a.address, a.port), { what: 'guest a' });
  await waitFor(() => httpGet(b.address, b.port), { what: 'guest b' });
  return { ...s, a, b, bSpec };
}

async function sh(runtime: Runtime, vs: string, script: string) {
  return runtime.exec!(vs, ['/bin/sh', '-c', script]);
}

test('inside a guest: own processes, own hostname, customer uid, no capabilities, read-only system', { skip }, async (t) => {
  const { runtime } = await twoCustomers(t);
  const pids = (await sh(runtime, 'iso-a', 'ls /proc')).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  assert.ok(pids.length > 0 && pids.length <= 5, `guest sees only its own few processes: ${pids.join(',')}`);
  assert.ok(!pids.includes(process.pid) || process.pid < 10, 'the engine is not visible');
  assert.equal((await sh(runtime, 'iso-a', 'cat /proc/sys/kernel/hostname')).stdout.trim(), 'iso-a');
  assert.equal((await sh(runtime, 'iso-a', 'id -u; id -g')).stdout, `${customerUid('c1')}\n${customerUid('c1')}\n`);
  const status = (await sh(runtime, 'iso-a', 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status')).stdout;
  assert.match(status, /CapEff:\s+0000000000000000/);
  assert.match(status, /CapBnd:\s+0000000000000000/);
  assert.match(status, /NoNewPrivs:\s+1/);
  for (const dir of ['/usr', '/etc', '/srv/release', '/']) {
    const w = await sh(runtime, 'iso-a', `touch ${dir}/corral-probe`);
    assert.notEqual(w.code, 0, `${dir} is not writable`);
  }
  const data = await sh(runtime, 'iso-a', 'echo mine > /srv/data/own.txt && cat /srv/data/own.txt && echo t > /tmp/t && cat /tmp/t');
  assert.equal(data.stdout, 'mine\nt\n', 'its data folder and /tmp are writable');
});

test("inside a guest: another customer's data and guest are out of reach", { skip }, async (t) => {
  const { runtime, b, bSpec, net } = await twoCustomers(t);
  const read = await sh(runtime, 'iso-a', `cat ${bSpec.dataDir}/secret.txt /srv/data/secret.txt; ls ${path.dirname(bSpec.dataDir)}`);
  assert.notEqual(read.code, 0);
  assert.doesNotMatch(read.stdout, /c2 secret/);
  const probe = (host: string, port: number) =>
    `node -e "const s=require('net').connect(${port},'${host}');s.setTimeout(1500);s.on('connect',()=>{console.log('OPEN');process.exit(0)});s.on('timeout',()=>{console.log('TIMEOUT');process.exit(1)});s.on('error',(e)=>{console.log(e.code);process.exit(1)})"`;
  const toB = await sh(runtime, 'iso-a', probe(b.address, b.port));
  assert.notEqual(toB.stdout.trim(), 'OPEN', `guest a reached guest b: ${toB.stdout}`);
  const self = await sh(runtime, 'iso-b', probe(b.address, b.port));
  assert.equal(self.stdout.trim(), 'OPEN', 'the probe itself works');
  const out = await sh(runtime, 'iso-a', probe('127.0.0.1', 22));
  assert.notEqual(out.stdout.trim(), 'OPEN');
  const outside = await sh(runtime, 'iso-a', `ip route 2>/dev/null || cat /proc/net/route`);
  assert.doesNotMatch(outside.stdout, /default|00000000\s+[0-9A-F]{8}\s+0003/, 'no default route out of the subnet');
  void net;
});

test('a memory hog is OOM-killed, reported as such, and restarted with backoff', { skip }, async (t) => {
  const { base, runtime } = await setup(t, { memoryBytes: 64 * 2 ** 20 });
  const hog = `exec "${process.execPath}" -e "const a=[];setInterval(()=>{for(let i=0;i<4;i++)a.push(Buffer.alloc(4<<20,1))},5)"`;
  const spec = { ...appSpec(base, 'hog-a'), command: hog };
  const states: string[] = [];
  const sup = createSupervisor({ runtime, spec, log: silentLogger, onState: (s) => states.push(s.state), timing: { backoffBaseMs: 50, backoffMaxMs: 200 } });
  onCleanup(t, () => sup.stop(1_000));
  sup.start();
  await waitFor(() => sup.snapshot.restarts >= 1 && sup.snapshot.lastExit?.oom === true, { what: 'OOM kill and restart', timeoutMs: 20_000 });
  assert.equal(sup.snapshot.lastExit?.signal, 'SIGKILL');
  assert.ok(states.includes('crashed') && states.includes('backoff'));
});

test('a fork bomb is capped by pids.max; the engine and other guests keep serving', { skip }, async (t) => {
  const { base, runtime } = await setup(t, { pidsMax: 40 });
  const other = await runtime.start(appSpec(base, 'calm-a'));
  await waitFor(() => httpGet(other.address, other.port), { what: 'calm guest' });
  // Forks sleepers as fast as it can, shrugging off EAGAIN (a shell would give up at the first failed fork).
  const forker = `exec "${process.execPath}" -e "const {spawn}=require('child_process');setInterval(()=>{for(let i=0;i<5;i++){try{spawn('sleep',['60']).on('error',()=>{})}catch{}}},2)"`;
  const bomb = await runtime.start({ ...appSpec(base, 'bomb-a'), command: forker });
  await waitFor(async () => (await runtime.inspect!('bomb-a'))!.usage!.pids >= 35, { what: 'bomb reaches its cap', timeoutMs: 10_000 });
  const usage = (await runtime.inspect!('bomb-a'))!.usage!;
  assert.ok(usage.pids <= 40, `capped at ${usage.pids}`);
  for (let i = 0; i < 3; i++) assert.equal((await httpGet(other.address, other.port)).status, 200);
  const host = await runtime.exec!('calm-a', ['/bin/sh', '-c', 'echo alive']);
  assert.equal(host.stdout, 'alive\n');
  await runtime.stop('bomb-a', 200);
  await bomb.exited;
});

test('inspect reports runtime, address, limits and usage, with the data folder measured', { skip }, async (t) => {
  const { base, runtime } = await setup(t, { memoryBytes: 96 * 2 ** 20, pidsMax: 50 });
  const spec = appSpec(base, 'insp-a');
  const vs = await runtime.start(spec);
  await waitFor(() => httpGet(vs.address, vs.port), { what: 'guest' });
  await sh(runtime, 'insp-a', 'head -c 300000 /dev/zero > /srv/data/blob');
  const info = (await runtime.inspect!('insp-a'))!;
  assert.equal(info.runtime, 'namespace');
  assert.equal(info.address, vs.address);
  assert.equal(info.limits!.memoryBytes, 96 * 2 ** 20);
  assert.equal(info.limits!.pidsMax, 50);
  assert.ok(info.usage!.memoryBytes > 1_000_000, `memory ${info.usage!.memoryBytes}`);
  assert.ok(info.usage!.pids >= 1);
  assert.ok(info.usage!.diskBytes >= 300_000, `disk ${info.usage!.diskBytes}`);
  await assert.rejects(runtime.exec!('nobody', ['true']), { code: 'ENGINE_VS_NOT_RUNNING' });
  assert.ok((await readdir(path.join(base, 'run'))).includes('insp-a'));
});
