// The package ships JavaScript: `corral` and every process it starts (router workers, the
// static web runtime inside each VS) run with plain `node` from dist/, never TypeScript
// through tsx; the two spawned entries run as their single-file bundles (scripts/bundle.mjs). A module resolve hook given in NODE_OPTIONS refuses tsx and any `.ts`
// module; the farm must come up, deploy and serve with it in place.
import { waitFor } from '../src/lib/wait.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORRAL_BIN, REPO, ok, removeDir, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { WORKER_SEMI_SPACE_MB } from '../src/router/cluster/cluster.ts';
import type { VirtualServerView } from '../src/model/index.ts';
import { mallocInUse } from '../src/lib/malloc.ts';
import { installedJemalloc } from './helpers/jemalloc.ts';

const HOOKS = `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (specifier === 'tsx' || r.url.includes('/node_modules/tsx/') || /\\.[cm]?ts$/.test(r.url)) throw new Error('TypeScript refused: ' + r.url);
  return r;
}
`;

describe('the shipped package runs on plain node', () => {
  let hookDir = '';
  let noTs: Record<string, string> = {};

  before(async () => {
    hookDir = await mkdtemp(join(tmpdir(), 'corral-no-ts-'));
    await writeFile(join(hookDir, 'hooks.mjs'), HOOKS);
    await writeFile(join(hookDir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    noTs = { ...process.env, NODE_OPTIONS: `--import ${pathToFileURL(join(hookDir, 'register.mjs')).href}` } as Record<string, string>;
  });
  after(() => removeDir(hookDir));

  it('the guard works: tsx under it fails to load', () => {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '-e', '0'], { env: noTs, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TypeScript refused: .*tsx/);
  });

  it('`corral --help` runs from dist/ without tsx', () => {
    const r = spawnSync(process.execPath, [CORRAL_BIN, '--help'], { env: noTs, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: corral/);
  });

  it('the built spawn entries are the .js files in dist/ and need no loader', async () => {
    const launch = (await import(pathToFileURL(join(REPO, 'dist/engine/vs-launch.js')).href)) as typeof import('../src/engine/vs-launch.ts');
    assert.equal(launch.WEB_RUNTIME_MAIN, join(REPO, 'dist/web-runtime/main.bundle.js'));
    assert.deepEqual(launch.defaultNodeArgs(), []);
    const guest = (await import(pathToFileURL(join(REPO, 'dist/engine/namespace/guest-paths.js')).href)) as typeof import('../src/engine/namespace/guest-paths.ts');
    const binds = guest.runtimeBinds('/usr/bin/node');
    assert.ok(binds.includes(join(REPO, 'dist')), binds.join(' '));
    assert.ok(!binds.includes(join(REPO, 'src')) && !binds.includes(join(REPO, 'tsconfig.json')), 'a guest sees the built code only');
  });

  it("the router worker's bundle holds no TypeBox (a worker reads no record; the model's index would compile its checks: ≈ 8 MB of RSS)", async () => {
    const worker = await readFile(join(REPO, 'dist/router/cluster/cluster-worker.bundle.js'), 'utf8');
    assert.doesNotMatch(worker, /node_modules\/typebox\//);
  });

  it("the router worker's bundle holds no prom-client (a worker keeps its series compact and sends the changed ones: request-series.ts)", async () => {
    const worker = await readFile(join(REPO, 'dist/router/cluster/cluster-worker.bundle.js'), 'utf8');
    assert.doesNotMatch(worker, /node_modules\/prom-client\//);
  });

  describe('a farm under the guard', () => {
    let farm: FarmProcess;
    const site = `js${Date.now().toString(36)}`;

    before(async () => {
      // inherited by `corral up`, its router workers and the CLI runs (a VS gets only its own env)
      process.env.NODE_OPTIONS = noTs.NODE_OPTIONS;
      farm = await startFarmProcess({ extraArgs: ['--router-workers', '2'], env: { CORRAL_LOG_LEVEL: 'info' } });
    });
    after(async () => {
      delete process.env.NODE_OPTIONS;
      await farm?.stop();
      await removeDir(farm?.dir ?? '');
    });

    it('serves a static site whose web runtime is dist/web-runtime/main.bundle.js run by plain node', async () => {
      const created = await ok(farm.cli(['customer', 'create', site]));
      const token = /token: (\S+)/.exec(created.stdout)![1]!;
      await ok(farm.cli(['site', 'create', site, '--domain', `${site}.test`, '--kind', 'static'], { token }));
      await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', site], { token }));
      // the deploy is done once the route names the release; router workers get it a moment later
      await waitFor(async () => (await get(farm.routerUrl, `${site}.test`, '/')).status === 200, { what: 'the site served', timeoutMs: 5_000 });
      // pooled (the default for static sites): the web runtime of the customer's pool VS serves it
      const { virtualServers } = JSON.parse((await ok(farm.cli(['vs', 'list', '--json'], { token }))).stdout) as { virtualServers: VirtualServerView[] };
      const pool = virtualServers.find((v) => v.pool?.includes(site));
      assert.ok(pool, `a pool VS serves ${site}: ${virtualServers.map((v) => v.vs).join(' ')}`);
      const guests = (await processes()).filter((p) => p.env.includes(`CORRAL_VS=${pool.vs}`) && p.argv[0] === process.execPath);
      assert.deepEqual(guests.map((p) => p.argv), [[process.execPath, '--max-semi-space-size=2', join(REPO, 'dist/web-runtime/main.bundle.js')]], 'no loader; a small young generation (vs-launch.ts)');
    });

    it("validates the API's requests with the vendored TypeBox (dist/vendor, scripts/bundle.mjs)", async () => {
      const res = await fetch(`${farm.apiUrl}/v1/sites`, {
        method: 'POST', headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', colour: 'red' }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_request');
      const compiled = await readFile(join(REPO, 'dist/model/record-checks.js'), 'utf8');
      assert.match(compiled, /from '\.\.\/vendor\/typebox-compile\.js'/);
    });

    it('runs its router workers from dist/router/cluster/cluster-worker.bundle.js, their young generation capped, their collector exposed', async () => {
      const workers = (await processes()).filter((p) => p.ppid === farm.child.pid && p.env.includes('CORRAL_ROUTER_WORKER=1'));
      assert.equal(workers.length, 2);
      for (const w of workers) assert.deepEqual(w.argv, [process.execPath, '--expose-gc', `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`, join(REPO, 'dist/router/cluster/cluster-worker.bundle.js')]);
    });

    it("runs corral up on the launcher's jemalloc (when installed) and its router workers on glibc with bin/corral.js's settings; a VS's guest gets only its own environment", async () => {
      const all = await processes();
      const farmTree = all.filter((p) => p.pid === farm.child.pid || p.ppid === farm.child.pid);
      const main = farmTree.find((p) => p.pid === farm.child.pid)!;
      assert.equal(await readlink(`/proc/${main.pid}/exe`), await realpath(process.execPath), 'the node this test runs, first on PATH');
      const workers = farmTree.filter((p) => p.env.includes('CORRAL_ROUTER_WORKER=1'));
      assert.equal(workers.length, 2);
      const jemalloc = installedJemalloc();
      assert.equal(mallocInUse(await readFile(`/proc/${main.pid}/maps`, 'utf8')), jemalloc ? 'jemalloc' : 'glibc');
      for (const p of [main, ...workers]) {
        const malloc = p.env.filter((e) => e.startsWith('MALLOC_ARENA') || e.startsWith('MALLOC_MMAP'));
        assert.deepEqual(malloc.sort(), ['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072'], p.argv.join(' '));
      }
      for (const w of workers) {
        assert.equal(mallocInUse(await readFile(`/proc/${w.pid}/maps`, 'utf8')), 'glibc', 'a router worker');
        assert.deepEqual(w.env.filter((e) => /^(LD_PRELOAD|MALLOC_CONF|CORRAL_JEMALLOC)/.test(e)), [], 'the launcher\'s jemalloc is not inherited');
      }
      // the log says which allocator corral up runs on
      const lines = (await readFile(join(farm.dir, 'logs', 'corral.log'), 'utf8')).split('\n').filter((l) => l.includes('"process.malloc"'));
      assert.ok(lines.length > 0, 'a process.malloc line in corral.log');
      assert.equal((JSON.parse(lines[0]!) as { malloc: string }).malloc, jemalloc ? 'jemalloc' : 'glibc');
      const guests = all.filter((p) => p.env.some((e) => e.startsWith('CORRAL_VS=')));
      assert.ok(guests.length > 0, 'the pool VS of the site served above');
      for (const g of guests) assert.ok(!g.env.some((e) => /^(MALLOC_|LD_PRELOAD)/.test(e)), `a guest inherited the farm's malloc settings: ${g.argv.join(' ')}`);
    });
  });
});

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
  env: string[];
}

/** Every process this user may read, from /proc (gone ones skipped). */
async function processes(): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [cmdline, environ, status] = await Promise.all(['cmdline', 'environ', 'status'].map((f) => readFile(`/proc/${name}/${f}`, 'utf8')));
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status!)?.[1]);
      out.push({ pid: Number(name), ppid, argv: cmdline!.split('\0').filter(Boolean), env: environ!.split('\0') });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}
