import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas } from './scheduler.ts';
import type { EngineRecord } from '../model/index.ts';

function engine(id: string, maxVirtualServers = 10, draining = false): EngineRecord {
  return { id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers }, startedAt: '', draining };
}

describe('placeReplicas', () => {
  it('spreads a site across engines before doubling up', () => {
    const got = placeReplicas({ site: 's', count: 3, engines: [engine('a'), engine('b'), engine('c')], assignments: [] });
    assert.deepEqual([...got].sort(), ['a', 'b', 'c']);
  });

  it('prefers the engine without this site even if it is busier', () => {
    const assignments = [
      { engine: 'a', site: 's' },
      { engine: 'b', site: 'other' },
      { engine: 'b', site: 'other' },
    ];
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('a'), engine('b')], assignments }), ['b']);
  });

  it('then picks the engine with the most free capacity', () => {
    const assignments = [{ engine: 'a', site: 'x' }, { engine: 'a', site: 'y' }, { engine: 'b', site: 'x' }];
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('a'), engine('b')], assignments }), ['b']);
  });

  it('skips draining and full engines, and stops when the farm is full', () => {
    const got = placeReplicas({ site: 's', count: 3, engines: [engine('a', 1), engine('b', 5, true)], assignments: [] });
    assert.deepEqual(got, ['a']);
  });

  it('stacks replicas on one engine when it is the only one', () => {
    assert.deepEqual(placeReplicas({ site: 's', count: 3, engines: [engine('solo')], assignments: [] }), ['solo', 'solo', 'solo']);
  });
});
