// The sites a pool's status shows: never one the runtime may not serve (pool-shown.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolSite } from '../model/index.ts';
import type { PoolTableFile } from './pool-dir.ts';
import { noteLeftOut, shownSites } from './pool-shown.ts';

const table = (version: number, ...sites: string[]): PoolTableFile => ({ version, sites: sites.map((site) => ({ site, release: 'v1', domains: [`${site}.test`], root: 'f'.repeat(64) })) });
const assigned = (...sites: string[]): PoolSite[] => sites.map((site) => ({ site, release: 'v1', sha256: 'f'.repeat(64), domains: [`${site}.test`] }));
const served = (version: number, ...sites: string[]) => ({ version, sites: Object.fromEntries(sites.map((s) => [s, 'v1'])) });

test('a site scaled to zero and woken before the runtime confirmed the table without it is not shown until a table with it is confirmed', () => {
  const leftOut = new Map<string, number>();
  const v4 = table(4, 'keep', 'nap');
  const v5 = table(5, 'keep');
  noteLeftOut(leftOut, v4, v5);
  assert.deepEqual(shownSites(served(4, 'keep', 'nap'), leftOut, assigned('keep')), { keep: 'v1' }, 'out before the table without it is written');
  // the wake: nap assigned again and a table with it written, the runtime still confirming 4
  const v6 = table(6, 'keep', 'nap');
  noteLeftOut(leftOut, v5, v6);
  assert.deepEqual(shownSites(served(4, 'keep', 'nap'), leftOut, assigned('keep', 'nap')), { keep: 'v1' }, 'the runtime may be on table 5, without nap');
  assert.deepEqual(shownSites(served(5, 'keep'), leftOut, assigned('keep', 'nap')), { keep: 'v1' });
  assert.deepEqual(shownSites(served(6, 'keep', 'nap'), leftOut, assigned('keep', 'nap')), { keep: 'v1', nap: 'v1' }, 'shown once a table with it is confirmed');
});

test('a confirmed table older than the last written shows only the sites every later table kept', () => {
  const leftOut = new Map<string, number>();
  noteLeftOut(leftOut, table(1, 'a'), table(2, 'a', 'x'));
  noteLeftOut(leftOut, table(2, 'a', 'x'), table(3, 'a'));
  noteLeftOut(leftOut, table(3, 'a'), table(4, 'a', 'x'));
  assert.deepEqual(shownSites(served(2, 'a', 'x'), leftOut, assigned('a', 'x')), { a: 'v1' }, 'x left out by table 3, which the runtime may load');
  assert.deepEqual(shownSites(served(3, 'a'), leftOut, assigned('a', 'x')), { a: 'v1' });
  assert.deepEqual(shownSites(served(4, 'a', 'x'), leftOut, assigned('a', 'x')), { a: 'v1', x: 'v1' });
});

test('a site no longer assigned is not shown, even while the runtime still serves it', () => {
  assert.deepEqual(shownSites(served(3, 'a', 'b'), new Map(), assigned('a')), { a: 'v1' });
});
