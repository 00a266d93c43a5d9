import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Release, type Site } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { createDiskJanitor, planSweep, RETIRED_LOGS_KEEP_MS, type DiskInventory, type InUse, type LiveSet } from './disk-janitor.ts';
import { createReleaseCache } from './release-cache.ts';
import { run } from './namespace/host-command.ts';
import { onCleanup, tempDir } from './testing.ts';

const sha = (c: string) => c.repeat(64);
const NOW = Date.parse('2026-12-06T20:00:00Z');
const none: InUse = { siteKeys: new Set(), vs: new Set(), releases: new Set() };

describe('planSweep', () => {
  const disk: DiskInventory = {
    data: ['0live', '0gone', 'legacy', '0busy'],
    images: new Map([['0live.ext4', '0live'], ['0gone.ext4', '0gone'], ['0gone.ext4.new', '0gone'], ['0busy.ext4', '0busy']]),
    logs: new Map([
      ['live-1', { siteKey: '0live', files: ['live-1.log', 'live-1.meta.json'] }],
      ['gone-1', { siteKey: '0gone', files: ['gone-1.log', 'gone-1.log.1', 'gone-1.meta.json'] }],
      ['gone-2', { siteKey: '0gone', files: ['gone-2.meta.json'] }],
      ['legacy-1', { siteKey: 'legacy', files: ['legacy-1.log', 'legacy-1.meta.json'] }],
      ['nometa-1', { files: ['nometa-1.log'] }],
      ['live-0', { siteKey: '0live', files: ['live-0.log', 'live-0.meta.json'], writtenAt: NOW - RETIRED_LOGS_KEEP_MS - 1 }],
      ['live-old', { siteKey: '0live', files: ['live-old.log', 'live-old.meta.json'], writtenAt: NOW - RETIRED_LOGS_KEEP_MS + 60_000 }],
    ]),
    releases: [sha('a'), sha('b'), sha('c'), sha('d')],
  };
  // input and expected decision side by side
  const cases: { name: string; live: LiveSet; used: InUse; data: string[]; images: string[]; logs: string[]; keep: string[] }[] = [
    {
      name: 'a site gone from the store loses its data folder, image (and its leftovers) and logs; a site without id is kept by name',
      live: { siteKeys: new Set(['0live', 'legacy', '0busy']), releases: new Set([sha('a'), sha('b')]) },
      used: none,
      data: ['0gone'], images: ['0gone.ext4', '0gone.ext4.new'], logs: ['gone-1', 'gone-2', 'live-0'], keep: [sha('a'), sha('b')],
    },
    {
      name: 'a live site keeps the logs of its retired VSs for RETIRED_LOGS_KEEP_MS after their last line, and of a VS running here for ever',
      live: { siteKeys: new Set(['0live', '0gone', 'legacy', '0busy']), releases: new Set() },
      used: { siteKeys: new Set(), vs: new Set(['live-0']), releases: new Set() },
      data: [], images: [], logs: [], keep: [],
    },
    {
      name: 'a deleted site whose VS still runs here keeps everything until it stopped',
      live: { siteKeys: new Set(['0live', 'legacy']), releases: new Set([sha('a')]) },
      used: { siteKeys: new Set(['0busy']), vs: new Set(['gone-2']), releases: new Set([sha('d')]) },
      data: ['0gone'], images: ['0gone.ext4', '0gone.ext4.new'], logs: ['gone-1', 'live-0'], keep: [sha('a'), sha('d')],
    },
    {
      name: 'an empty store (every site deleted): all goes but what runs here; a log whose site is unknown stays',
      live: { siteKeys: new Set(), releases: new Set() },
      used: none,
      data: ['0live', '0gone', 'legacy', '0busy'], images: ['0live.ext4', '0gone.ext4', '0gone.ext4.new', '0busy.ext4'],
      logs: ['live-1', 'gone-1', 'gone-2', 'legacy-1', 'live-0', 'live-old'], keep: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSweep(disk, c.live, c.used, NOW);
      assert.deepEqual(plan.data, c.data);
      assert.deepEqual(plan.images, c.images);
      assert.deepEqual(plan.logs, c.logs);
      assert.deepEqual([...plan.keepReleases].sort(), c.keep.sort());
    });
  }
});

function site(name: string, id: string | undefined, release?: string, previousRelease?: string): Site {
  return {
    ...(id ? { id } : {}), name, customer: 'acme', domains: [], kind: 'app', command: 'x', replicas: 1, healthPath: '/', env: {},
    ...(release ? { release } : {}), ...(previousRelease ? { previousRelease } : {}), createdAt: '', updatedAt: '',
  };
}

function releaseRecord(siteName: string, id: string, sha256: string): Release {
  return { id, site: siteName, number: Number(id.slice(1)), sha256, size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
}

/** An engine directory with what sites leave behind, and a store naming some of them. */
async function engineDisk(t: TestContext) {
  const base = await tempDir(t);
  const store = await openSqliteStore(path.join(base, 'store.db'));
  onCleanup(t, () => store.close());
  const dir = path.join(base, 'engine');
  const file = async (rel: string, content = 'x') => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  };
  const siteFiles = async (key: string, vs: string, siteName: string, siteId?: string) => {
    await file(`data/${key}/secret.txt`, `secret of ${key}`);
    await file(`data/.disk/${key}.ext4`);
    await file(`logs/${vs}.log`);
    await file(`logs/${vs}.log.1`);
    await file(`logs/${vs}.meta.json`, JSON.stringify({ vs, site: siteName, ...(siteId ? { siteId } : {}), customer: 'acme', release: 'v1' }));
  };
  for (const c of 'abcde') await file(`releases/${sha(c)}/index.html`);
  const ls = async (rel: string) => (await readdir(path.join(dir, rel)).catch(() => [] as string[])).sort();
  const releases = createReleaseCache({ dir, fetchBlob: () => Promise.reject(new Error('no fetch here')), extract: () => Promise.reject(new Error('no extract here')) });
  return { store, dir, file, siteFiles, ls, releases };
}

async function putSite(store: Store, s: Site, ...rels: Release[]) {
  await store.put(keys.site(s.name), JSON.stringify(s));
  for (const r of rels) await store.put(keys.release(r.site, r.id), JSON.stringify(r));
}

describe('the disk janitor', () => {
  it('removes what deleted sites left — data, image, logs, releases — and keeps live sites\', rollback targets and what runs here', async (t) => {
    const d = await engineDisk(t);
    await d.siteFiles('0aaaa', 'leak-1', 'leak', '0aaaa'); // deleted; its name now belongs to 0bbbb
    await d.siteFiles('0bbbb', 'leak-2', 'leak', '0bbbb');
    await d.siteFiles('legacy', 'legacy-1', 'legacy'); // a site from before ids: keyed by name
    await d.siteFiles('0cccc', 'busy-1', 'busy', '0cccc'); // deleted, but its VS is still stopping here
    await putSite(d.store, site('leak', '0bbbb', 'v3', 'v2'), releaseRecord('leak', 'v1', sha('c')), releaseRecord('leak', 'v2', sha('a')), releaseRecord('leak', 'v3', sha('b')));
    await putSite(d.store, site('legacy', undefined));
    const used: InUse = { siteKeys: new Set(['0cccc']), vs: new Set(['busy-1']), releases: new Set([sha('e')]) };
    const janitor = createDiskJanitor({ dir: d.dir, store: d.store, releases: d.releases, inUse: () => used, log: silentLogger });
    onCleanup(t, () => janitor.close());

    await janitor.runOnce();
    assert.deepEqual(await d.ls('data'), ['.disk', '0bbbb', '0cccc', 'legacy']);
    assert.deepEqual(await d.ls('data/.disk'), ['0bbbb.ext4', '0cccc.ext4', 'legacy.ext4']);
    assert.deepEqual(await d.ls('logs'), ['busy-1.log', 'busy-1.log.1', 'busy-1.meta.json', 'leak-2.log', 'leak-2.log.1', 'leak-2.meta.json', 'legacy-1.log', 'legacy-1.log.1', 'legacy-1.meta.json']);
    assert.deepEqual(await d.ls('releases'), [sha('a'), sha('b'), sha('e')], 'current and previous release of live sites, and what runs here; v1 and the deleted site\'s go');
  });

  it('an engine offline during the delete cleans up when it starts; a running one when the site record goes', async (t) => {
    const d = await engineDisk(t);
    await d.siteFiles('0aaaa', 'one-1', 'one', '0aaaa');
    await d.siteFiles('0bbbb', 'two-1', 'two', '0bbbb');
    await putSite(d.store, site('two', '0bbbb'));
    // 'one' was deleted while this engine was down: no record of it is left anywhere
    const janitor = createDiskJanitor({ dir: d.dir, store: d.store, releases: d.releases, inUse: () => none, log: silentLogger, intervalMs: 3_600_000 });
    onCleanup(t, () => janitor.close());
    await janitor.start();
    await waitFor(async () => !(await d.ls('data')).includes('0aaaa'), { what: 'the offline delete swept at start' });
    assert.deepEqual(await d.ls('data'), ['.disk', '0bbbb']);

    await d.store.delete(keys.site('two'));
    await waitFor(async () => (await d.ls('data')).length === 1 && (await d.ls('logs')).length === 0, { what: 'the delete seen by the watch' });
    assert.deepEqual(await d.ls('data/.disk'), []);
  });

  it('a data folder still mounted (a guest holds it) is skipped with its image, and removed once unmounted', { skip: process.getuid?.() !== 0 ? 'mounting needs root' : false }, async (t) => {
    const d = await engineDisk(t);
    await d.siteFiles('0aaaa', 'gone-1', 'gone', '0aaaa');
    const dir = path.join(d.dir, 'data', '0aaaa');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    onCleanup(t, () => run('umount', ['-l', dir], { allowFail: true }));
    await writeFile(path.join(dir, 'inside.txt'), 'on the mounted filesystem');
    const janitor = createDiskJanitor({ dir: d.dir, store: d.store, releases: d.releases, inUse: () => none, log: silentLogger });
    onCleanup(t, () => janitor.close());
    await janitor.runOnce();
    assert.deepEqual(await d.ls('data/0aaaa'), ['inside.txt'], 'nothing removed under a mount');
    assert.deepEqual(await d.ls('data/.disk'), ['0aaaa.ext4']);
    assert.deepEqual(await d.ls('logs'), [], 'its logs go all the same');
    await run('umount', [dir]);
    await janitor.runOnce();
    assert.deepEqual(await d.ls('data'), ['.disk']);
    assert.deepEqual(await d.ls('data/.disk'), []);
  });
});
