// End to end with `corral up --static-pools` (pooled is the default; the flag, kept for
// operators' scripts, is still taken): a pooled static site with --min-replicas 0
// goes idle (its entry leaves the customer's pool, which keeps serving the customer's
// other site); ten concurrent first requests are held by the router and all served once
// the wake puts the entry back in the same pool VS (same pid: a table swap, no VS start).
// A customer's only site going idle takes its pool with it; a wake assigns one again.
// `corral logs` of a pooled site, for its customer: the pool VS's lines, saying so first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, type FarmProcess } from './helpers/farm-process.ts';
import { get, getFresh as fresh } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import type { VirtualServerView } from '../src/model/index.ts';

const IDLE_S = 2;

describe('pooled static sites scaling to zero (corral up --static-pools, a no-op alias of the default)', () => {
  let farm: FarmProcess;
  let work = '';
  const tokens: Record<string, string> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-pool-zero-'));
    farm = await startFarmProcess({ extraArgs: ['--static-pools'] });
    for (const c of ['acme', 'solo']) tokens[c] = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', c]))).stdout)![1]!;
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  const poolOf = async (customer: string) =>
    (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VirtualServerView[] }).virtualServers.filter((v) => v.customer === customer);
  const site = async (name: string, customer: string, flags: string[] = []) => {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.html'), `${name} page`);
    await ok(farm.cli(['site', 'create', name, '--customer', customer, '--domain', `${name}.test`, '--drain-timeout', '0', ...flags]));
    await ok(farm.cli(['deploy', dir, '--site', name]));
    await waitFor(async () => (await get(farm.routerUrl, `${name}.test`)).body === `${name} page`, { timeoutMs: 30_000, what: `${name} serving` });
  };
  const zero = ['--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', `${IDLE_S}s`];

  it('idle → entry out of the pool, the pool kept for the other site; 10 concurrent first requests all served by the same pool VS', async (t) => {
    await site('keep', 'acme');
    await site('nap', 'acme', zero);
    const [pool] = await poolOf('acme');
    assert.deepEqual(pool?.pool, ['keep', 'nap']);

    await waitFor(async () => (await poolOf('acme'))[0]?.pool?.join() === 'keep', { timeoutMs: 30_000, what: 'nap idle, its entry out of the pool' });
    assert.equal((await get(farm.routerUrl, 'keep.test')).body, 'keep page', 'the other site is still served');
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: 10 }, () => fresh(farm.routerUrl, 'nap.test')));
    t.diagnostic(`pooled wake from zero → 10 × 200 in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(replies.map((r) => `${r.status} ${r.body}`), Array(10).fill('200 nap page'));

    const after = await poolOf('acme');
    assert.equal(after.length, 1, 'still one pool VS for acme');
    assert.equal(after[0]!.vs, pool!.vs);
    assert.equal(after[0]!.pid, pool!.pid, 'the pool VS was not restarted: its table was swapped');
    assert.deepEqual(after[0]!.pool, ['keep', 'nap']);
    const { stdout } = await ok(farm.cli(['events', '--site', 'nap', '--type', 'farm']));
    assert.match(stdout, /nap: 0 → 1 replica\(s\): woken by a request held at a router/);
  });

  it('a customer\'s only site idle: its pool VS goes; the wake starts one and serves the held requests', async () => {
    await site('alone', 'solo', zero);
    await waitFor(async () => (await poolOf('solo')).length === 0, { timeoutMs: 30_000, what: 'the emptied pool deleted' });
    const replies = await Promise.all(Array.from({ length: 5 }, () => fresh(farm.routerUrl, 'alone.test')));
    assert.deepEqual(replies.map((r) => `${r.status} ${r.body}`), Array(5).fill('200 alone page'));
    assert.deepEqual((await poolOf('solo')).map((v) => v.pool), [['alone']]);
  });

  it('corral logs of a pooled site, as its customer: a first line naming the pool VS, then the web runtime\'s lines', async () => {
    const [pool] = await poolOf('acme');
    const { stdout } = await ok(farm.cli(['logs', 'keep', '--source', 'app', '-n', '50'], { token: tokens.acme }));
    const lines = stdout.split('\n').filter(Boolean);
    assert.match(lines[0]!, new RegExp(`^corral \\| keep is pooled: the lines below are those of pool VS ${pool!.vs} \\(engine \\S+\\), serving every pooled static site of acme there$`));
    assert.ok(lines.length > 1, stdout);
    assert.ok(lines.slice(1).every((l) => l.startsWith(`${pool!.vs} | `)), stdout);
    assert.ok(lines.some((l) => /web runtime listening|site table loaded/.test(l)), stdout);
    const other = await farm.cli(['logs', 'keep'], { token: tokens.solo });
    assert.notEqual(other.code, 0, "another customer's site is not found");
  });
});
