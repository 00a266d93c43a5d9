import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys, type Assignment, type EngineRecord, type VsStatus } from '../../model/index.ts';
import { startCliHarness } from '../cli-testing.ts';

test('status and vs list fit 100 columns with realistic names; --wide adds the wide columns; --quiet prints names', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme-industries');
  const site = 'marketing-website';
  const domains = ['www.marketing-website.example.com', 'marketing-website.example.com', 'shop.example.com'];
  assert.equal((await h.admin.post('/v1/sites', { name: site, customer: 'acme-industries', domains, kind: 'app', command: 'node server.js', replicas: 3 })).status, 201);
  const engine: EngineRecord = { id: 'engine-host-01', runtime: 'namespace', capacity: { cpus: 16, memoryMb: 65_536, maxVirtualServers: 64 }, startedAt: new Date().toISOString() };
  await h.store.put(keys.engine(engine.id), JSON.stringify(engine));
  for (let i = 0; i < 3; i++) {
    const vs = `${site}-a1b2c${i}`;
    const a: Assignment = {
      vs, engine: engine.id, site, customer: 'acme-industries', kind: 'app', release: 'v12', sha256: 'a'.repeat(64), command: 'node server.js',
      healthPath: '/', env: {}, domains, createdAt: new Date().toISOString(),
    };
    const s: VsStatus = {
      vs, engine: engine.id, site, release: 'v12', state: 'ready', address: '10.200.123.234', port: 41_234, pid: 1_234_567, restarts: 12,
      lastExit: { code: null, signal: 'SIGKILL', at: new Date().toISOString(), oom: true }, updatedAt: new Date().toISOString(), runtime: 'namespace',
      limits: { memoryBytes: 512 * 2 ** 20, cpuWeight: 100, cpuQuota: 1.5, pidsMax: 256, diskBytes: 1024 * 2 ** 20 },
      usage: { memoryBytes: 123 * 2 ** 20, cpuUsec: 12_345_678, pids: 17, diskBytes: 45 * 2 ** 20, at: new Date().toISOString() },
    };
    await h.store.put(keys.assignment(engine.id, vs), JSON.stringify(a));
    await h.store.put(keys.vsStatus(engine.id, vs), JSON.stringify(s));
  }
  const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
  for (const args of [['status'], ['vs', 'list'], ['site', 'list']]) {
    const r = await h.corral(args);
    assert.equal(r.code, 0, r.err);
    assert.ok(widest(r.out) <= 100, `${args.join(' ')} is ${widest(r.out)} columns:\n${r.out}`);
  }
  const vs = await h.corral(['vs', 'list']);
  assert.match(vs.out, /^VS\s+RELEASE\s+STATE\s+ADDRESS\s+RESTARTS\s+MEM\s+LAST EXIT$/m);
  assert.match(vs.out, /marketing-website-a1b2c0\s+v12\s+ready\s+10\.200\.123\.234:41234\s+12\s+123M\s+OOM SIGKILL/);
  const wide = await h.corral(['vs', 'list', '--wide']);
  assert.match(wide.out, /SITE.*ENGINE.*PID.*RUNTIME\s+LIMITS\s+USAGE/);
  assert.match(wide.out, /mem 512M cpu 1\.5×w100/);
  assert.match((await h.corral(['status'])).out, /www\.marketing-website\.example\.com \+2/);
  assert.match((await h.corral(['status', '--wide'])).out, /www\.marketing-website\.example\.com,marketing-website\.example\.com,shop\.example\.com/);
  assert.equal((await h.corral(['--quiet', 'vs', 'list'])).out, [0, 1, 2].map((i) => `${site}-a1b2c${i}`).join('\n'));
  assert.equal((await h.corral(['-q', 'status'])).out, site);
  const json = JSON.parse((await h.corral(['vs', 'list', '--json'])).out);
  assert.equal(json.virtualServers.length, 3);
});
