// A farm backup taken through GET /v1/backup and restored into a new folder: the same
// records, blobs and tokens (customers' as before, a new admin token), on SQLite and on
// etcd; a consistent archive under a loop of deploys and deletions; hostile archives refused
// with nothing written outside the target.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { rawTar, rawTarGz, writeZeroBomb, type RawEntry } from '../lib/tarball/test-archives.ts';
import { keys } from '../model/index.ts';
import { openEtcdStore } from '../store/etcd-store.ts';
import { etcdMissing, startEtcdCluster } from '../store/etcd-testing.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { ensureAdminToken } from './admin-token.ts';
import { startBlobGc } from './blob-gc.ts';
import { openBlobStore } from './blob-store.ts';
import { buildController } from './build-controller.ts';
import { takeFarmSnapshot } from './farm-backup-snapshot.ts';
import { writeFarmBackup } from './farm-backup-writer.ts';
import { restoreFarm } from './farm-restore.ts';
import { makeTarball, startController, staticSite, type Client, type Harness } from './test-harness.ts';
import { selfSigned } from '../lib/tls-testing.ts';
import { createWriteStream } from 'node:fs';

const openStore = (file: string) => openSqliteStore(file);

describe('farm backup and restore', () => {
  it('a backup restored into a new folder has the same customers, sites, releases, certificates and blobs', async (t) => {
    const h = await startController(t);
    const { acme, globex } = await populate(t, h);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/backup', headers: { authorization: `Bearer ${acme.token}` } })).statusCode, 403);

    const archive = await backupOver(t, h, h.admin.token!);
    const dir = join(await tempDir(t), 'restored');
    const result = await restoreFarm(archive, dir, { openStore });
    assert.equal(result.blobs, 3);

    const restored = await openController(t, dir);
    for (const prefix of [keys.customers, keys.sites, keys.domains, keys.releases, keys.certificates, keys.counters]) {
      assert.deepEqual(await values(restored.store, prefix), await values(h.store, prefix), prefix);
    }
    assert.deepEqual(await values(restored.store, keys.assignments), []);
    assert.deepEqual(await values(restored.store, keys.engines), []);
    for (const r of await json<{ sha256: string }>(restored.store, keys.releases)) assert.ok(await restored.blobs.verify(r.sha256));
    // customers' tokens work as before; the old admin token is retired, the new one is in <dir>/admin-token
    const client = (token: string) => (url: string) => restored.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual((await client(acme.token!)('/v1/sites')).json().sites.map((s: { name: string }) => s.name), ['blog', 'www']);
    assert.deepEqual((await client(globex.token!)('/v1/sites')).json().sites.map((s: { name: string }) => s.name), ['shop']);
    assert.equal((await client(acme.token!)('/v1/sites/blog/certificates')).json().certificates.length, 1);
    assert.equal((await client(h.admin.token!)('/v1/customers')).statusCode, 401);
    const admin = (await readFile(result.adminTokenFile, 'utf8')).trim();
    assert.equal((await client(admin)('/v1/customers')).json().customers.length, 2);
    assert.equal(((await stat(result.adminTokenFile)).mode & 0o777).toString(8), '600');
    assert.equal(((await stat(join(dir, 'store.db'))).mode & 0o777).toString(8), '600');
    assert.deepEqual((await readdir(dir)).filter((f) => !f.startsWith('store.db-')).sort(), ['admin-token', 'blobs', 'store.db']);
  });

  it('carries the farm folder files it is given (the development certificate)', async (t) => {
    const folder = await tempDir(t);
    await mkdir(join(folder, 'tls'));
    await writeFile(join(folder, 'tls', 'dev.crt'), 'CERT');
    await writeFile(join(folder, 'tls', 'dev.key'), 'KEY');
    const h = await startController(t, { backup: { files: { root: folder, paths: ['tls/dev.crt', 'tls/dev.key', 'tls/absent'] } } });
    const dir = join(await tempDir(t), 'restored');
    await restoreFarm(await backupOver(t, h, h.admin.token!), dir, { openStore });
    assert.equal(await readFile(join(dir, 'tls', 'dev.key'), 'utf8'), 'KEY');
    assert.equal(((await stat(join(dir, 'tls', 'dev.key'))).mode & 0o777).toString(8), '600');
  });

  it('refuses a folder that is not empty, and leaves it as it was', async (t) => {
    const h = await startController(t);
    const archive = await backupOver(t, h, h.admin.token!);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'keep.txt'), 'mine');
    await assert.rejects(restoreFarm(archive, dir, { openStore }), (err: Error & { code?: string }) => err.code === 'restore_target_not_empty' && /not empty/.test(err.message));
    assert.deepEqual(await readdir(dir), ['keep.txt']);
    await assert.rejects(restoreFarm(archive, join(dir, 'keep.txt'), { openStore }), /keep\.txt is not a folder/);
    await assert.rejects(restoreFarm(join(dir, 'absent.tar.gz'), join(dir, 'new'), { openStore }), /absent\.tar\.gz is not a file/);
    assert.deepEqual(await readdir(dir), ['keep.txt']);
  });

  it('refuses hostile and damaged archives with a clear error, writing nothing outside the target', async (t) => {
    const h = await startController(t);
    const good = await readFile(await backupOver(t, h, h.admin.token!));
    const work = await tempDir(t);
    const records = Buffer.from(JSON.stringify({ revision: 1, records: [] }));
    const part = (path: string, body: Buffer) => ({ path, kind: path.startsWith('blobs/') ? 'blob' : path.startsWith('files/') ? 'file' : 'store', size: body.length, sha256: sha(body) });
    const manifest = (parts: object[]): RawEntry => ({ path: 'manifest.json', body: JSON.stringify({ format: 'corral-farm-backup', version: 1, createdAt: '', store: { kind: 'sqlite', revision: 1 }, parts }) });
    const cases: [string, Buffer | ((file: string) => Promise<void>), RegExp][] = [
      ['path traversal', rawTarGz([{ path: '../escaped.txt', body: 'x' }, manifest([])]), /tarball_path_traversal/],
      ['an absolute path', rawTarGz([{ path: join(work, 'absolute.txt'), body: 'x' }]), /tarball_absolute_path/],
      ['a symlink leading out', rawTarGz([{ path: 'files/tls/dev.key', type: '2', linkpath: '../../../../etc/passwd' }]), /tarball_link_escape/],
      ['a symlink inside', rawTarGz([{ path: 'store/records.json', body: records }, { path: 'files/tls/dev.key', type: '2', linkpath: '../../store/records.json' }, manifest([part('store/records.json', records)])]), /symlink/],
      ['a decompression bomb', (file) => writeZeroBomb(file, 80 * 1024 * 1024), /tarball_expansion_ratio/],
      ['a truncated archive', good.subarray(0, Math.floor(good.length / 2)), /tarball_corrupt|truncated|manifest/],
      ['a part that does not hash as listed', rawTarGz([{ path: 'store/records.json', body: records }, manifest([{ ...part('store/records.json', records), sha256: 'a'.repeat(64) }])]), /hashes to/],
      ['a file the manifest does not list', rawTarGz([{ path: 'store/records.json', body: records }, { path: 'blobs/extra', body: 'x' }, manifest([part('store/records.json', records)])]), /does not list/],
      ['a part that overwrites the store', rawTarGz([{ path: 'store/records.json', body: records }, { path: 'files/store.db', body: 'x' }, manifest([part('store/records.json', records), part('files/store.db', Buffer.from('x'))])]), /files\/tls/],
      ['no manifest', rawTarGz([{ path: 'store/records.json', body: records }]), /no manifest\.json/],
      ['not gzip', rawTar([{ path: 'a', body: 'x' }]), /tarball_corrupt/],
    ];
    for (const [name, content, expected] of cases) {
      const file = join(work, `${name.replaceAll(' ', '-')}.tar.gz`);
      if (typeof content === 'function') await content(file);
      else await writeFile(file, content);
      const dir = join(work, 'target', 'farm');
      await assert.rejects(restoreFarm(file, dir, { openStore }), (err: Error) => expected.test(err.message) || assert.fail(`${name}: ${err.message}`), name);
      assert.deepEqual(await readdir(join(work, 'target')).catch(() => []), [], `${name}: the target is removed again`);
      assert.deepEqual((await readdir(work)).filter((f) => !f.endsWith('.tar.gz') && f !== 'target'), [], `${name}: nothing written beside it`);
    }
  });

  it('is consistent when taken under a loop of deploys and site deletions, with the blob collector running', async (t) => {
    const h = await startController(t);
    const gc = await startBlobGc({ store: h.store, blobs: h.blobs, log: silentLogger, graceMs: 0, intervalMs: 50 });
    t.after(() => gc.close());
    const acme = await h.customer('acme');
    let stop = false;
    let deploys = 0;
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `s${i % 3}`;
        await acme.post('/v1/sites', staticSite(name));
        const up = await acme.upload(`/v1/sites/${name}/releases?activate=true`, await makeTarball(t, { 'index.html': `deploy ${i}` }));
        assert.equal(up.status, 201, up.body);
        deploys++;
        if (i % 2 === 1) assert.equal((await acme.delete(`/v1/sites/s${(i + 1) % 3}`)).status, i < 2 ? 404 : 204);
      }
    })();
    t.after(() => { stop = true; });
    const work = await tempDir(t);
    for (let n = 0; n < 5; n++) {
      const file = join(work, `b${n}.tar.gz`);
      await writeFarmBackup(await takeFarmSnapshot({ store: h.store, blobs: h.blobs }), createWriteStream(file));
      const dir = join(work, `r${n}`);
      await restoreFarm(file, dir, { openStore });
      const restored = await openController(t, dir);
      const sites = await json<{ name: string; release?: string }>(restored.store, keys.sites);
      const releases = await json<{ site: string; id: string; sha256: string }>(restored.store, keys.releases);
      for (const s of sites) if (s.release) assert.ok(releases.some((r) => r.site === s.name && r.id === s.release), `site ${s.name}'s release ${s.release} is in the backup`);
      for (const r of releases) {
        assert.ok(sites.some((s) => s.name === r.site), `release ${r.site}/${r.id} belongs to a site of the backup`);
        assert.ok(await restored.blobs.verify(r.sha256), `release ${r.site}/${r.id} has its blob`);
      }
    }
    stop = true;
    await loop;
    // stopped here, not in t.after: hooks run first-registered first, so the controller's
    // folder would be removed while a collection still moves a blob aside into blobs/tmp
    await gc.close();
    assert.ok(deploys >= 5, `the loop deployed (${deploys})`);
  });

  it('a release deleted right after the records are read keeps its blob for the backup: the collector waits', async (t) => {
    const h = await startController(t);
    const acme = await h.customer('acme');
    assert.equal((await acme.post('/v1/sites', staticSite('gone'))).status, 201);
    const up = await acme.upload('/v1/sites/gone/releases?activate=true', await makeTarball(t, { 'index.html': 'gone' }));
    assert.equal(up.status, 201, up.body);
    const sha = (JSON.parse(up.body) as { release: { sha256: string } }).release.sha256;
    // every read of the records is followed at once by the site's deletion and a collector's try on its blob,
    // before the snapshot opens the blobs the records name (what a loaded machine can interleave)
    let tried = 0;
    const store: Store = Object.create(h.store) as Store;
    store.range = async (...args: Parameters<Store['range']>) => {
      const read = await h.store.range(...args);
      if (args[0] === keys.all) {
        await acme.delete('/v1/sites/gone');
        tried++;
        assert.equal(await h.blobs.removeIfOlder(sha, Date.now() + 60_000), false, 'the collector keeps it while the snapshot opens its blobs');
      }
      return read;
    };
    const snapshot = await takeFarmSnapshot({ store, blobs: h.blobs });
    t.after(() => snapshot.close());
    assert.equal(tried, 1, 'taken at the first try');
    assert.ok(snapshot.blobs.some((b) => b.sha256 === sha), 'the blob its record names is in the snapshot');
    assert.equal(await h.blobs.removeIfOlder(sha, Date.now() + 60_000), true, 'collected once the snapshot has it open');
  });

  it('backs up a farm on etcd, at one revision of its namespace', { skip: etcdMissing() }, async (t) => {
    const etcd = await startEtcdCluster({ members: 1 });
    t.after(() => etcd.close());
    const store = await openEtcdStore(etcd.endpoints, { namespace: '/farm-a' });
    t.after(() => store.close());
    const folder = await tempDir(t);
    const blobs = await openBlobStore(join(folder, 'blobs'));
    const app = await buildController({ store, blobs, log: silentLogger });
    t.after(() => app.close());
    const { token } = await ensureAdminToken(store, folder);
    const h = { app, store, blobs, admin: { token } } as unknown as Harness;
    const acmeToken = (await app.inject({ method: 'POST', url: '/v1/customers', headers: { authorization: `Bearer ${token}` }, payload: { name: 'acme' } })).json().token as string;
    const inject = (method: 'POST' | 'GET', url: string, payload?: object | Buffer, type = 'application/json') =>
      app.inject({ method, url, headers: { authorization: `Bearer ${acmeToken}`, 'content-type': type }, ...(payload ? { payload: payload as object } : {}) });
    assert.equal((await inject('POST', '/v1/sites', staticSite('www'))).statusCode, 201);
    assert.equal((await inject('POST', '/v1/sites/www/releases?activate=true', await makeTarball(t, { 'index.html': 'on etcd' }), 'application/gzip')).statusCode, 201);

    const res = await app.inject({ method: 'GET', url: '/v1/backup', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    const archive = join(folder, 'farm.tar.gz');
    await writeFile(archive, res.rawPayload);
    const dir = join(await tempDir(t), 'restored');
    const result = await restoreFarm(archive, dir, { openStore });
    assert.equal(result.manifest.store.kind, 'etcd');
    assert.equal(String(result.manifest.store.revision), res.headers['x-corral-store-revision']);
    const restored = await openController(t, dir);
    for (const prefix of [keys.customers, keys.sites, keys.releases, keys.domains]) assert.deepEqual(await values(restored.store, prefix), await values(h.store, prefix), prefix);
    const sites = await restored.app.inject({ method: 'GET', url: '/v1/sites/www/releases', headers: { authorization: `Bearer ${acmeToken}` } });
    assert.equal(sites.json().releases.length, 1);
  });
});

async function populate(t: TestContext, h: Harness): Promise<{ acme: Client; globex: Client }> {
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  const tarballs = new Map<string, Awaited<ReturnType<typeof makeTarball>>>();
  for (const [c, site] of [[acme, 'www'], [acme, 'blog'], [globex, 'shop']] as const) {
    assert.equal((await c.post('/v1/sites', staticSite(site))).status, 201);
    tarballs.set(site, await makeTarball(t, { 'index.html': `${site} v1` }));
    const up = await c.upload(`/v1/sites/${site}/releases?activate=true`, tarballs.get(site)!);
    assert.equal(up.status, 201, up.body);
  }
  // the same bytes again (a tarball made anew may differ in its files' times): unchanged
  assert.equal((await acme.upload('/v1/sites/www/releases?activate=true', tarballs.get('www')!)).status, 200);
  assert.equal((await acme.post('/v1/sites/blog/certificates', selfSigned(t, 'blog.example.com', ['DNS:blog.example.com']))).status, 201);
  return { acme, globex };
}

/** GET /v1/backup as `token`, written to a file; its path. */
async function backupOver(t: TestContext, h: Harness, token: string): Promise<string> {
  const res = await h.app.inject({ method: 'GET', url: '/v1/backup', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/gzip');
  const file = join(await tempDir(t), 'farm.tar.gz');
  await writeFile(file, res.rawPayload);
  return file;
}

/** A controller on a restored folder (its store and blobs), closed when the test ends. */
async function openController(t: TestContext, dir: string) {
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  const blobs = await openBlobStore(join(dir, 'blobs'));
  const app = await buildController({ store, blobs, log: silentLogger });
  t.after(() => app.close());
  return { store, blobs, app };
}

async function values(store: Store, prefix: string): Promise<string[]> {
  return (await store.range(prefix)).kvs.map((kv) => `${kv.key} ${kv.value}`);
}

async function json<T>(store: Store, prefix: string): Promise<T[]> {
  return (await store.range(prefix)).kvs.map((kv) => JSON.parse(kv.value) as T);
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-backup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

