// End to end with `corral up`: single-page apps and a release's _redirects through the router.
// Two static sites of one customer share its pool (app, with a _redirects file, and docs), a
// third has a VS of its own (own). `corral site set --spa` switches the fallback on for app —
// in the pool's table, for app alone, the pool not restarted — and for own (new servers rolled
// out), while request loops run with 0 failures. A deploy with a bad _redirects is refused
// naming the line, and the site keeps serving its release.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startFarmProcess, ok, removeDir, type FarmProcess } from './helpers/farm-process.ts';
import { get, requestLoop } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import type { VirtualServerView } from '../src/model/index.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('single-page apps and redirects on a one-machine farm', () => {
  let farm: FarmProcess;
  let work = '';
  let token = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-spa-'));
    farm = await startFarmProcess();
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  const content = async (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    for (const [file, body] of Object.entries(files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), body);
    }
    return dir;
  };
  const as = (args: string[]) => ok(farm.cli(args, { token }));
  const vsList = async () => (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VirtualServerView[] }).virtualServers;
  const deep = async (site: string) => (await get(farm.routerUrl, `${site}.acme.test`, '/deep/route', 'GET', HTML)).status;

  it('serves two pooled sites and one with its own VS; _redirects answered through the router; no fallback yet', async () => {
    token = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', 'acme']))).stdout)![1]!;
    await as(['site', 'create', 'app', '--domain', 'app.acme.test']);
    await as(['site', 'create', 'docs', '--domain', 'docs.acme.test']);
    await as(['site', 'create', 'own', '--domain', 'own.acme.test', '--no-pooled']);
    await as(['deploy', await content('app-1', { 'index.html': 'app shell', 'app.js': 'run()', '_redirects': '/old /new-home 302\n/blog/* https://blog.example.com/:splat\n' }), '--site', 'app']);
    await as(['deploy', await content('docs-1', { 'index.html': 'docs' }), '--site', 'docs']);
    await as(['deploy', await content('own-1', { 'index.html': 'own shell' }), '--site', 'own']);

    const moved = await get(farm.routerUrl, 'app.acme.test', '/old?x=1');
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.location, '/new-home?x=1');
    const splat = await get(farm.routerUrl, 'app.acme.test', '/blog/2024/hi');
    assert.equal(splat.status, 301);
    assert.equal(splat.headers.location, 'https://blog.example.com/2024/hi');
    assert.equal((await get(farm.routerUrl, 'app.acme.test', '/_redirects')).status, 404, 'the rules are not served');
    for (const s of ['app', 'docs', 'own']) assert.equal(await deep(s), 404, `${s}: no fallback before --spa`);

    const pools = (await vsList()).filter((v) => v.pool !== undefined);
    assert.equal(pools.length, 1);
    assert.deepEqual(pools[0]!.pool, ['app', 'docs']);
  });

  it('site set --spa under request loops: 0 failed; the pooled site changes in place for itself alone, the other rolls out', async () => {
    const pool = (await vsList()).find((v) => v.pool !== undefined)!;
    const loops = {
      app: requestLoop(farm.routerUrl, 'app.acme.test'),
      docs: requestLoop(farm.routerUrl, 'docs.acme.test'),
      own: requestLoop(farm.routerUrl, 'own.acme.test'),
      asset: requestLoop(farm.routerUrl, 'app.acme.test', { path: '/app.js' }),
    };
    await waitFor(() => Object.values(loops).every((l) => l.result.total > 20), { what: 'requests flowing', timeoutMs: 20_000 });

    assert.match((await as(['site', 'set', 'app', '--spa'])).stdout, /spa\s+on/);
    await waitFor(async () => (await deep('app')) === 200, { what: 'app answering a page path with its index.html', timeoutMs: 30_000 });
    const page = await get(farm.routerUrl, 'app.acme.test', '/deep/route', 'GET', HTML);
    assert.equal(page.body, 'app shell');
    assert.equal(page.headers['cache-control'], 'public, max-age=0, must-revalidate');
    assert.equal((await get(farm.routerUrl, 'app.acme.test', '/missing.js', 'GET', HTML)).status, 404, 'a missing asset stays 404');
    assert.equal((await get(farm.routerUrl, 'app.acme.test', '/deep/route', 'GET', { accept: 'application/json' })).status, 404);
    assert.equal(await deep('docs'), 404, 'the other site of the pool is unaffected');

    // own has VSs of its own: the CLI follows the rollout of new ones started with the fallback
    assert.match((await as(['site', 'set', 'own', '--spa'])).stdout, /rolled out own's new spa/);
    await waitFor(async () => (await deep('own')) === 200, { what: 'the router on own\'s new servers', timeoutMs: 30_000 });
    assert.equal((await get(farm.routerUrl, 'own.acme.test', '/deep/route', 'GET', HTML)).body, 'own shell');

    const more = Math.max(...Object.values(loops).map((l) => l.result.total)) + 20;
    await waitFor(() => Object.values(loops).every((l) => l.result.total > more), { what: 'requests after the changes', timeoutMs: 20_000 });
    for (const [name, loop] of Object.entries(loops)) {
      const r = await loop.stop();
      assert.deepEqual(r.failed, [], `${name}: ${r.total} requests`);
    }

    const now = (await vsList()).find((v) => v.pool !== undefined)!;
    assert.equal(now.vs, pool.vs);
    assert.equal(now.pid, pool.pid, 'the pool VS was not restarted');
    assert.equal(now.restarts, 0);
  });

  it('a deploy with a bad _redirects line is refused naming the line; the site serves on', async () => {
    const bad = await farm.cli(['deploy', await content('app-2', { 'index.html': 'app two', '_redirects': '/old /new-home\n/shop /store 200\n' }), '--site', 'app'], { token });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /_redirects line 2: status 200 \(a rewrite\) is not supported/);
    assert.equal((await get(farm.routerUrl, 'app.acme.test', '/')).body, 'app shell');
    assert.equal((await get(farm.routerUrl, 'app.acme.test', '/old')).status, 302);
  });
});
