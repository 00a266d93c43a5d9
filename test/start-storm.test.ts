// End to end: a start storm. Twenty static sites, each with VSs of its own (`pooled: false`:
// pooled ones would share one VS), deployed back to back on `corral up --max-starts 2` all
// become ready: at most two VSs start at once, the others wait as `queued`, and none is
// killed for missing its start deadline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDirectory } from '../src/lib/tarball.ts';
import { waitFor } from '../src/lib/wait.ts';
import { startFarmProcess, removeDir, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';

const SITES = 20;

interface VsView {
  vs: string;
  site: string;
  state?: string;
  restarts?: number;
}

describe('a start storm on a one-machine farm', () => {
  let farm: FarmProcess;
  let work = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-storm-'));
    farm = await startFarmProcess({ extraArgs: ['--max-starts', '2', '--customer-max-vs', '0'] }); // one customer's 20 servers: no quota
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  const api = async <T>(method: string, path: string, token: string, body?: string | Buffer, type = 'application/json'): Promise<T> => {
    const res = await fetch(`${farm.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  it(`deploys ${SITES} static sites back to back; they start two at a time and all become ready`, async (t) => {
    const { token } = await api<{ token: string }>('POST', '/v1/customers', farm.token, JSON.stringify({ name: 'storm' }));
    const started = Date.now();
    for (let i = 0; i < SITES; i++) {
      const dir = join(work, `s${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'index.html'), `<h1>storm site ${i}</h1>`);
      const tarball = join(work, `s${i}.tar.gz`);
      await packDirectory(dir, tarball);
      await api('POST', '/v1/sites', token, JSON.stringify({ name: `s${i}`, kind: 'static', domains: [`s${i}.storm.test`], pooled: false }));
      await api('POST', `/v1/sites/s${i}/releases`, token, await readFile(tarball), 'application/gzip');
    }

    let maxStarting = 0;
    let sawQueued = false;
    const all = await waitFor(async () => {
      const { virtualServers } = await api<{ virtualServers: VsView[] }>('GET', '/v1/vs', farm.token);
      maxStarting = Math.max(maxStarting, virtualServers.filter((v) => v.state === 'starting').length);
      sawQueued ||= virtualServers.some((v) => v.state === 'queued');
      return virtualServers.length === SITES && virtualServers.every((v) => v.state === 'ready') ? virtualServers : undefined;
    }, { what: `${SITES} ready virtual servers`, timeoutMs: 90_000, intervalMs: 50 });
    const seconds = (Date.now() - started) / 1000;

    assert.ok(maxStarting <= 2, `never more than 2 starting in a status read, saw ${maxStarting}`);
    assert.ok(sawQueued, 'some VSs were seen waiting as queued');
    assert.deepEqual(all.filter((v) => (v.restarts ?? 0) > 0).map((v) => v.vs), [], 'no VS was restarted (no start timeout)');
    for (let i = 0; i < SITES; i++) {
      const page = await get(farm.routerUrl, `s${i}.storm.test`, '/');
      assert.equal(page.status, 200, `s${i} serves`);
      assert.match(page.body, new RegExp(`storm site ${i}<`));
    }
    t.diagnostic(`${SITES} sites deployed and ready in ${seconds.toFixed(1)} s`);
  });
});
