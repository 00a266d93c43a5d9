// End to end: a deleted site's data never goes to the next owner of its name, and
// nothing of it stays on disk. Customer alpha's site `leak` writes a secret into its
// data folder; alpha deletes the site; customer bravo at once creates a site named
// `leak` and deploys: its guest lists an empty data folder, and the old site's data
// folder, data image (namespace runtime), logs, unpacked release and blob all go.
// Namespace runtime where this machine can run it (root, bubblewrap), else process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { namespaceSkip } from '../src/engine/namespace/testing.ts';

// CORRAL_TEST_RUNTIME=process|namespace forces one (as for every farm test)
const runtime = process.env.CORRAL_TEST_RUNTIME ?? ((await namespaceSkip()) ? 'process' : 'namespace');
const exists = (p: string) => access(p).then(() => true, () => false);

interface SiteRow { id: string; name: string; customer: string; release?: string }
interface VsRow { vs: string; site: string }
interface ReleaseRow { id: string; sha256: string }

describe(`a deleted site leaves nothing to the next owner of its name (${runtime} runtime)`, () => {
  let farm: FarmProcess;
  let work = '';
  const tokens: Record<string, string> = {};
  const as = (customer: string, args: string[]) => ok(farm.cli(args, { token: tokens[customer]! }));
  const json = async <T>(customer: string, args: string[]): Promise<T> => JSON.parse((await as(customer, [...args, '--json'])).stdout) as T;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-deletion-'));
    for (const c of ['alpha', 'bravo']) {
      await cp(join(REPO, 'examples', 'node-app'), join(work, c), { recursive: true });
      await writeFile(join(work, c, 'VERSION'), `${c}\n`); // two releases, two blobs
    }
    farm = await startFarmProcess({ extraArgs: ['--runtime', runtime, '--blob-grace', '0'] });
    for (const c of ['alpha', 'bravo']) {
      await ok(farm.cli(['customer', 'create', c]));
      tokens[c] = (await ok(farm.cli(['customer', 'token', c]))).stdout.trim();
    }
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('alpha\'s secret is gone from disk, and bravo\'s `leak` starts with an empty data folder', async (t) => {
    const engine = join(farm.dir, 'engine');
    await as('alpha', ['site', 'create', 'leak', '--kind', 'app', '--health', '/health', '--replicas', '1', '--domain', 'leak.alpha.test',
      '--command', 'echo "secret of alpha" > "$CORRAL_DATA_DIR/secret.txt" && exec node server.js']);
    await as('alpha', ['deploy', join(work, 'alpha'), '--site', 'leak']);
    await waitFor(async () => (await get(farm.routerUrl, 'leak.alpha.test')).status === 200, { what: 'alpha\'s leak serving' });
    const [old] = (await json<{ sites: SiteRow[] }>('alpha', ['site', 'list'])).sites;
    const oldVs = (await json<{ virtualServers: VsRow[] }>('alpha', ['vs', 'list'])).virtualServers.map((v) => v.vs);
    const [oldRelease] = (await json<{ releases: ReleaseRow[] }>('alpha', ['releases', 'leak'])).releases;
    assert.match(old!.id, /^0[0-9a-f]{24}$/);
    assert.equal(await readFile(join(engine, 'data', old!.id, 'secret.txt'), 'utf8'), 'secret of alpha\n', 'the data folder is keyed by the site id');
    const leftovers = [
      join(engine, 'data', old!.id),
      ...(runtime === 'namespace' ? [join(engine, 'data', '.disk', `${old!.id}.ext4`)] : []),
      ...oldVs.flatMap((vs) => [join(engine, 'logs', `${vs}.log`), join(engine, 'logs', `${vs}.meta.json`)]),
      join(engine, 'releases', oldRelease!.sha256),
      join(farm.dir, 'blobs', 'sha256', oldRelease!.sha256),
    ];
    for (const p of leftovers) assert.ok(await exists(p), `${p} exists while the site lives`);

    await as('alpha', ['site', 'delete', 'leak']);
    const deleted = Date.now();
    // at once, before the old servers have drained: the same name, another customer
    await as('bravo', ['site', 'create', 'leak', '--kind', 'app', '--health', '/health', '--replicas', '1', '--domain', 'leak.bravo.test',
      '--command', 'echo "data: [$(ls -A "$CORRAL_DATA_DIR" | grep -vx lost+found)] secret: [$(cat "$CORRAL_DATA_DIR/secret.txt" 2>/dev/null)]" && exec node server.js']);
    await as('bravo', ['deploy', join(work, 'bravo'), '--site', 'leak']);
    const served = await waitFor(async () => { const r = await get(farm.routerUrl, 'leak.bravo.test'); return r.status === 200 ? r : undefined; }, { what: 'bravo\'s leak serving' });
    assert.equal(JSON.parse(served.body).version, 'bravo', 'bravo\'s own release answers');
    const [fresh] = (await json<{ sites: SiteRow[] }>('bravo', ['site', 'list'])).sites;
    assert.notEqual(fresh!.id, old!.id);
    const logs = await waitFor(async () => { const out = (await as('bravo', ['logs', 'leak'])).stdout; return /data: \[/.test(out) ? out : undefined; }, { what: 'bravo\'s guest listing its data folder' });
    assert.match(logs, /data: \[\] secret: \[\]/, 'bravo\'s guest sees an empty data folder (an ext4 image\'s lost+found aside)');
    assert.doesNotMatch(logs, /secret of alpha/);

    const left = await waitFor(async () => {
      const still = [];
      for (const p of leftovers) if (await exists(p)) still.push(p);
      return still.length === 0 ? still : undefined;
    }, { what: `the deleted site's data, image, logs, release and blob removed (${runtime} runtime)`, timeoutMs: 30_000 });
    assert.deepEqual(left, []);
    t.diagnostic(`${runtime} runtime: the deleted site's files were all gone within ${Date.now() - deleted} ms of the delete`);
    const [newRelease] = (await json<{ releases: ReleaseRow[] }>('bravo', ['releases', 'leak'])).releases;
    assert.ok(await exists(join(farm.dir, 'blobs', 'sha256', newRelease!.sha256)), 'bravo\'s blob stays');
    assert.ok(await exists(join(engine, 'releases', newRelease!.sha256)), 'bravo\'s unpacked release stays');
    assert.ok(await exists(join(engine, 'data', fresh!.id)), 'bravo\'s data folder stays');
  });
});
