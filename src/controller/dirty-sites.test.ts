// Which sites a change marks for the next pass (dirty-sites.ts), event by event.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../model/index.ts';
import type { WatchEvent } from '../store/types.ts';
import { DirtySites } from './dirty-sites.ts';

const kv = (key: string, value: unknown) => ({ key, value: value === '' ? '' : JSON.stringify(value), createRevision: 1, modRevision: 2, version: 1, lease: 0 });
const put = (key: string, value: unknown): WatchEvent => ({ type: 'put', kv: kv(key, value) });
const del = (key: string, prev?: unknown): WatchEvent => ({ type: 'delete', kv: kv(key, ''), ...(prev !== undefined ? { prevKv: kv(key, prev) } : {}) });

function marks(...events: WatchEvent[]) {
  const d = new DirtySites();
  d.take(); // the first pass plans every site
  d.note(events);
  const only = d.take();
  return only && { sites: [...only.sites].sort(), customers: [...only.customers].sort() };
}

describe('DirtySites', () => {
  it('marks the site a site, release, route or scale record is about', () => {
    assert.deepEqual(marks(put(keys.site('a'), {}), put(keys.release('b', 'r1'), {}), del(keys.route('c'), {}), put(keys.scale('d'), {})), { sites: ['a', 'b', 'c', 'd'], customers: [] });
  });

  it('marks the site of an assignment or status, a pool assignment’s customer, a deleted one’s from its last value', () => {
    assert.deepEqual(marks(
      put(keys.assignment('e1', 'a-1'), { site: 'a', customer: 'acme' }),
      del(keys.assignment('e1', 'b-1'), { site: 'b', customer: 'acme' }),
      put(keys.assignment('e1', 'pool-1'), { site: 'pool', customer: 'globex', pool: { sites: [] } }),
      put(keys.vsStatus('e1', 'c-1'), { vs: 'c-1', site: 'c' }),
    ), { sites: ['a', 'b', 'c'], customers: ['globex'] });
  });

  it('marks the sites a pool’s status shows (the plan takes their customer whole), and those it showed before', () => {
    assert.deepEqual(marks(
      put(keys.vsStatus('e1', 'pool-1'), { vs: 'pool-1', site: 'pool', sites: { a: 'r1', b: 'r2' } }),
      del(keys.vsStatus('e1', 'pool-2'), { vs: 'pool-2', site: 'pool', sites: { c: 'r1' } }),
      { type: 'put', kv: kv(keys.vsStatus('e1', 'pool-3'), { vs: 'pool-3', site: 'pool', sites: { d: 'r1' } }), prevKv: kv(keys.vsStatus('e1', 'pool-3'), { vs: 'pool-3', site: 'pool', sites: { e: 'r1' } }) },
    ), { sites: ['a', 'b', 'c', 'd', 'e'], customers: [] });
  });

  it('plans every site after an engine, drain or database change, a pool’s status showing no site, or a record it cannot read', () => {
    for (const ev of [
      put(keys.engine('e1'), {}), del(keys.engineDrain('e1'), {}), put(keys.database('db'), {}),
      put(keys.vsStatus('e1', 'pool-1'), { vs: 'pool-1', site: 'pool' }), put(keys.vsStatus('e1', 'pool-1'), { vs: 'pool-1', site: 'pool', sites: {} }),
      del(keys.assignment('e1', 'x')), { type: 'put' as const, kv: { ...kv(keys.assignment('e1', 'y'), {}), value: '{bad' } },
    ]) {
      assert.equal(marks(put(keys.site('a'), {}), ev), undefined, ev.kv.key);
    }
  });

  it('starts afresh after each take, and plans every site again when asked', () => {
    const d = new DirtySites();
    assert.equal(d.take(), undefined);
    d.note([put(keys.site('a'), {})]);
    assert.deepEqual([...(d.take()?.sites ?? [])], ['a']);
    assert.deepEqual([...(d.take()?.sites ?? ['x'])], []);
    d.markAll();
    assert.equal(d.take(), undefined);
  });
});
