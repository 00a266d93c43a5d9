// Table mode: the served sites follow the table file, swapped whole; a hostile or
// malformed table is refused and the old one keeps serving.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { loadTable, parseTable } from './table-file.ts';
import type { TableWatch } from './table-watch.ts';
import { rawRequest, startTableServer } from './testing.ts';
import { STATUS_KEY_HEADER } from './web-server.ts';

interface Pool {
  dir: string;
  table: TableWatch;
  port: number;
  write(version: number, sites: unknown[]): Promise<void>;
  sites(): Promise<{ version: number | null; sites: Record<string, string> }>;
}

async function pool(t: TestContext, releases: Record<string, string>): Promise<Pool> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'corral-pool-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(releases)) {
    await fs.mkdir(path.join(dir, name));
    await fs.writeFile(path.join(dir, name, 'index.html'), body);
  }
  const file = path.join(dir, 'table.json');
  const write = async (version: number, sites: unknown[]) => {
    await fs.writeFile(`${file}.tmp`, JSON.stringify({ version, sites }));
    await fs.rename(`${file}.tmp`, file);
  };
  await write(1, [{ site: 'a', release: 'v1', domains: ['a.test'], root: 'r1' }, { site: 'b', release: 'v1', domains: ['b.test'], root: 'rb' }]);
  const { table, port } = await startTableServer(t, file, { pollMs: 50, statusKey: 'k' });
  return {
    dir, table, port, write,
    async sites() {
      const res = await rawRequest(port, '/.corral/sites', { headers: { [STATUS_KEY_HEADER]: 'k' } });
      assert.equal(res.status, 200);
      return JSON.parse(res.text) as { version: number | null; sites: Record<string, string> };
    },
  };
}

const get = (p: Pool, host: string) => rawRequest(p.port, '/', { headers: { host } });

test('a new table is picked up and swapped whole: a site re-deployed, one removed, one added, no request failing', async (t) => {
  const p = await pool(t, { r1: 'a one', r2: 'a two', rb: 'b', rc: 'c' });
  assert.deepEqual(await p.sites(), { version: 1, sites: { a: 'v1', b: 'v1' } });
  assert.equal((await get(p, 'a.test')).text, 'a one');
  assert.equal((await get(p, 'B.test:80')).text, 'b');
  assert.equal((await get(p, 'c.test')).status, 404);

  // requests for a keep going while the table changes: each is answered by the old or the new release
  let stop = false;
  const answers: string[] = [];
  const loop = (async () => {
    while (!stop) {
      const res = await get(p, 'a.test');
      answers.push(`${res.status} ${res.text}`);
    }
  })();
  await waitFor(() => answers.length >= 5, { what: 'requests before the swap' });
  await p.write(2, [{ site: 'a', release: 'v2', domains: ['a.test'], root: 'r2' }, { site: 'c', release: 'v1', domains: ['c.test', 'www.c.test'], root: 'rc' }]);
  await waitFor(async () => (await p.sites()).version === 2, { what: 'version 2 loaded' });
  const at = answers.length;
  await waitFor(() => answers.length >= at + 5, { what: 'requests after the swap' });
  stop = true;
  await loop;

  assert.deepEqual(await p.sites(), { version: 2, sites: { a: 'v2', c: 'v1' } });
  assert.deepEqual(new Set(answers), new Set(['200 a one', '200 a two']));
  assert.equal(answers.at(-1), '200 a two');
  assert.equal((await get(p, 'b.test')).status, 404);
  assert.equal((await get(p, 'www.c.test')).text, 'c');
});

test('a lone site in a table answers its own domains only', async (t) => {
  const p = await pool(t, { r1: 'a one', rb: 'b' });
  await p.write(2, [{ site: 'a', release: 'v1', domains: ['a.test'], root: 'r1' }]);
  await waitFor(async () => (await p.sites()).version === 2, { what: 'version 2 loaded' });
  assert.equal((await get(p, 'a.test')).status, 200);
  assert.equal((await get(p, 'other.test')).status, 404);
});

test('a wildcard domain answers any name below it, an exact domain first', async (t) => {
  const p = await pool(t, { r1: 'a one', rb: 'b' });
  await p.write(2, [{ site: 'a', release: 'v1', domains: ['*.a.test'], root: 'r1' }, { site: 'b', release: 'v1', domains: ['x.a.test'], root: 'rb' }]);
  await waitFor(async () => (await p.sites()).version === 2, { what: 'version 2 loaded' });
  assert.equal((await get(p, 'www.a.test')).text, 'a one');
  assert.equal((await get(p, 'deep.www.a.test')).text, 'a one');
  assert.equal((await get(p, 'x.a.test')).text, 'b');
  assert.equal((await get(p, 'a.test')).status, 404);
});

test('/.corral/sites needs the key: without it the path is an unknown host like any other', async (t) => {
  const p = await pool(t, { r1: 'a one', rb: 'b' });
  assert.equal((await rawRequest(p.port, '/.corral/sites', { headers: { host: 'x.test' } })).status, 404);
  assert.equal((await rawRequest(p.port, '/.corral/sites', { headers: { host: 'x.test', [STATUS_KEY_HEADER]: 'wrong' } })).status, 404);
  assert.equal((await rawRequest(p.port, '/.corral/health')).status, 200);
});

test('hostile and malformed tables are refused whole; the old table keeps serving', async (t) => {
  const p = await pool(t, { r1: 'a one', rb: 'b' });
  const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'corral-outside-'));
  t.after(() => fs.rm(outside, { recursive: true, force: true }));
  await fs.writeFile(path.join(outside, 'index.html'), 'secret');
  await fs.symlink(outside, path.join(p.dir, 'sneaky'));
  const good = { site: 'a', release: 'v9', domains: ['a.test'], root: 'r1' };
  const hostile: [string, string][] = [
    ['not JSON', '{"version": 5, "sites": ['],
    ['a root above the directory', JSON.stringify({ version: 5, sites: [{ ...good, root: '../' + path.basename(outside) }] })],
    ['an absolute root elsewhere', JSON.stringify({ version: 5, sites: [{ ...good, root: outside }] })],
    ['the directory itself as a root', JSON.stringify({ version: 5, sites: [{ ...good, root: '.' }] })],
    ['a symlink leading out', JSON.stringify({ version: 5, sites: [{ ...good, root: 'sneaky' }] })],
    ['a missing root', JSON.stringify({ version: 5, sites: [{ ...good, root: 'nope' }] })],
    ['a domain listed twice', JSON.stringify({ version: 5, sites: [good, { site: 'b', release: 'v1', domains: ['A.test'], root: 'rb' }] })],
    ['a site without domains', JSON.stringify({ version: 5, sites: [{ ...good, domains: [] }] })],
    ['an unknown key', JSON.stringify({ version: 5, sites: [{ ...good, extra: 1 }] })],
    ['no version', JSON.stringify({ sites: [good] })],
  ];
  const file = path.join(p.dir, 'table.json');
  for (const [what, text] of hostile) {
    await fs.writeFile(`${file}.tmp`, text);
    await fs.rename(`${file}.tmp`, file);
    await p.table.reload();
    await assert.rejects(loadTable(file), { code: 'WEB_TABLE_INVALID' }, what);
    assert.deepEqual(await p.sites(), { version: 1, sites: { a: 'v1', b: 'v1' } }, what);
    assert.equal((await get(p, 'a.test')).text, 'a one', what);
  }
  // and a good one after all that is taken
  await p.write(6, [good]);
  await waitFor(async () => (await p.sites()).version === 6, { what: 'version 6 loaded' });
});

test('parseTable makes roots absolute under the table directory and normalises domains', () => {
  const t = parseTable(JSON.stringify({ version: 3, sites: [{ site: 'a', release: 'v1', domains: ['A.Test.'], root: 'abc' }] }), '/pool/x');
  assert.deepEqual(t, { version: 3, sites: [{ site: 'a', release: 'v1', domains: ['a.test'], root: '/pool/x/abc', spa: false }] });
  assert.deepEqual(parseTable('{"version":0,"sites":[]}', '/pool/x'), { version: 0, sites: [] });
});
