// End to end with `corral up` (no flag: pooled static hosting is the default): three static
// sites of one customer served by one pool VS, one re-deployed and one deleted under request
// loops through the router with 0 failed requests and no restart of the pool; another
// customer gets its own pool. Restarted with --no-static-pools: the pooled sites stay in
// their pool, a new static site gets a VS of its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, type FarmProcess } from './helpers/farm-process.ts';
import { get, requestLoop } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import type { VirtualServerView } from '../src/model/index.ts';

describe('pooled static sites on a one-machine farm', () => {
  let farm: FarmProcess;
  let work = '';
  const tokens: Record<string, string> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-pool-'));
    farm = await startFarmProcess();
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  const content = async (name: string, body: string) => {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.html'), body);
    return dir;
  };
  const vsList = async () => (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VirtualServerView[] }).virtualServers;

  it('serves three sites of a customer from one pool VS (no flag: the default), and another customer from its own', async () => {
    for (const c of ['acme', 'globex']) tokens[c] = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', c]))).stdout)![1]!;
    for (const s of ['aa', 'bb', 'cc']) {
      // bb asks for 2 replicas: one engine here, so one pool holds it (a deploy does not wait for a second)
      await ok(farm.cli(['site', 'create', s, '--domain', `${s}.acme.test`, ...(s === 'bb' ? ['--replicas', '2'] : [])], { token: tokens.acme }));
      await ok(farm.cli(['deploy', await content(`${s}-1`, `${s} one`), '--site', s], { token: tokens.acme }));
    }
    await ok(farm.cli(['site', 'create', 'gg', '--domain', 'gg.globex.test', '--pooled'], { token: tokens.globex }));
    await ok(farm.cli(['deploy', await content('gg-1', 'gg one'), '--site', 'gg'], { token: tokens.globex }));
    for (const [s, d] of [['aa', 'aa.acme.test'], ['bb', 'bb.acme.test'], ['cc', 'cc.acme.test'], ['gg', 'gg.globex.test']]) {
      const page = await get(farm.routerUrl, d!, '/');
      assert.equal(page.status, 200, s);
      assert.equal(page.body, `${s} one`);
    }
    const all = await vsList();
    assert.equal(all.length, 2, `one VS per customer: ${all.map((v) => v.vs).join(' ')}`);
    const acme = all.find((v) => v.customer === 'acme')!;
    const globex = all.find((v) => v.customer === 'globex')!;
    assert.deepEqual(acme.pool, ['aa', 'bb', 'cc']);
    assert.deepEqual(acme.sites, { aa: 'v1', bb: 'v1', cc: 'v1' });
    assert.deepEqual(globex.pool, ['gg']);
    // a customer sees only its own pool
    const mine = JSON.parse((await ok(farm.cli(['vs', 'list', '--json'], { token: tokens.globex }))).stdout) as { virtualServers: VirtualServerView[] };
    assert.deepEqual(mine.virtualServers.map((v) => v.vs), [globex.vs]);
    const listing = (await ok(farm.cli(['vs', 'list']))).stdout;
    assert.match(listing, /pool: aa bb cc/);
  });

  it('re-deploys one site and deletes another under request loops: 0 failed, the pool never restarted', async () => {
    const before = (await vsList()).find((v) => v.customer === 'acme')!;
    const loops = { aa: requestLoop(farm.routerUrl, 'aa.acme.test'), bb: requestLoop(farm.routerUrl, 'bb.acme.test'), cc: requestLoop(farm.routerUrl, 'cc.acme.test') };
    await waitFor(() => Object.values(loops).every((l) => l.result.total > 20), { what: 'requests flowing', timeoutMs: 20_000 });

    await ok(farm.cli(['deploy', await content('aa-2', 'aa two'), '--site', 'aa'], { token: tokens.acme }));
    await waitFor(() => loops.aa.result.bodies.at(-1) === 'aa two', { what: 'aa serving its new release', timeoutMs: 20_000 });
    const cc = await loops.cc.stop();
    await ok(farm.cli(['site', 'delete', 'cc'], { token: tokens.acme }));
    await waitFor(async () => (await vsList()).find((v) => v.customer === 'acme')?.pool?.join() === 'aa,bb', { what: 'cc dropped from the pool', timeoutMs: 30_000 });
    const more = loops.aa.result.total + 20;
    await waitFor(() => loops.aa.result.total > more && loops.bb.result.total > more, { what: 'requests after the delete', timeoutMs: 20_000 });
    const [aa, bb] = [await loops.aa.stop(), await loops.bb.stop()];

    for (const [name, r] of Object.entries({ aa, bb, cc })) assert.deepEqual(r.failed, [], `${name}: ${r.total} requests`);
    assert.deepEqual(new Set(aa.bodies), new Set(['aa one', 'aa two']));
    assert.ok(bb.bodies.every((b) => b === 'bb one'));
    assert.equal((await get(farm.routerUrl, 'cc.acme.test', '/')).status, 404);
    assert.equal((await get(farm.routerUrl, 'aa.acme.test', '/')).body, 'aa two');

    const now = (await vsList()).find((v) => v.customer === 'acme')!;
    assert.equal(now.vs, before.vs);
    assert.equal(now.pid, before.pid, 'the pool VS was not restarted');
    assert.equal(now.restarts, 0);
    assert.deepEqual(now.sites, { aa: 'v2', bb: 'v1' });
  });

  it('comes back after a restart of the farm with --no-static-pools: the pool serves its sites again; a new static site gets a VS of its own', async () => {
    assert.equal(await farm.stop(), 0);
    farm = await startFarmProcess({ dir: farm.dir, extraArgs: ['--no-static-pools'] });
    await waitFor(async () => (await get(farm.routerUrl, 'aa.acme.test', '/')).body === 'aa two' && (await get(farm.routerUrl, 'bb.acme.test', '/')).body === 'bb one',
      { what: 'aa and bb served after the restart', timeoutMs: 60_000 });
    const acme = (await vsList()).filter((v) => v.customer === 'acme');
    assert.equal(acme.length, 1);
    assert.deepEqual(acme[0]!.sites, { aa: 'v2', bb: 'v1' });
    assert.equal((await get(farm.routerUrl, 'cc.acme.test', '/')).status, 404);

    await ok(farm.cli(['site', 'create', 'dd', '--domain', 'dd.acme.test'], { token: tokens.acme }));
    await ok(farm.cli(['deploy', await content('dd-1', 'dd one'), '--site', 'dd'], { token: tokens.acme }));
    assert.equal((await get(farm.routerUrl, 'dd.acme.test', '/')).body, 'dd one');
    const acmeNow = (await vsList()).filter((v) => v.customer === 'acme');
    assert.equal(acmeNow.length, 2, `the pool and dd's own VS: ${acmeNow.map((v) => v.vs).join(' ')}`);
    const own = acmeNow.find((v) => v.site === 'dd')!;
    assert.ok(own, 'dd has a VS of its own');
    assert.equal(own.pool, undefined);
    assert.deepEqual(acmeNow.find((v) => v !== own)!.sites, { aa: 'v2', bb: 'v1' }, 'dd is not in the pool');
  });
});
