import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendOnly, placeReplicas, spreadMove } from './scheduler.ts';
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

  it('places a site bound to a database only on engines that reach it, none when none does', () => {
    const engines = [engine('a'), { ...engine('b'), reachesDatabase: true as const }, engine('c')];
    assert.deepEqual(placeReplicas({ site: 's', count: 3, engines, assignments: [], database: true }), ['b', 'b', 'b']);
    assert.deepEqual(placeReplicas({ site: 's', count: 2, engines: [engine('a')], assignments: [], database: true }), []);
    assert.equal(spreadMove({ site: 's', engines, replicas: [{ engine: 'b' }, { engine: 'b' }], assignments: [{ engine: 'b', site: 's' }, { engine: 'b', site: 's' }], database: true }), undefined);
  });

  it('stacks replicas on one engine when it is the only one', () => {
    assert.deepEqual(placeReplicas({ site: 's', count: 3, engines: [engine('solo')], assignments: [] }), ['solo', 'solo', 'solo']);
  });
});

describe('spreadMove', () => {
  const on = (...engines: string[]) => engines.map((e) => ({ engine: e, site: 's' }));

  it('moves from the fullest engine to the emptiest eligible one when they differ by 2 or more', () => {
    const replicas = on('a', 'a', 'a', 'a');
    assert.deepEqual(spreadMove({ site: 's', engines: [engine('a'), engine('b')], replicas, assignments: replicas }), { from: 'a', to: 'b' });
    const three = on('a', 'a', 'b');
    assert.equal(spreadMove({ site: 's', engines: [engine('a'), engine('b')], replicas: three, assignments: three }), undefined, '2/1 is balanced');
  });

  it('never to a draining or full engine', () => {
    const replicas = on('a', 'a');
    const others = [{ engine: 'b', site: 'x' }];
    assert.equal(spreadMove({ site: 's', engines: [engine('a'), engine('b', 1)], replicas, assignments: [...replicas, ...others] }), undefined);
    assert.equal(spreadMove({ site: 's', engines: [engine('a'), engine('b', 10, true)], replicas, assignments: replicas }), undefined);
  });

  it('each move lowers the sum of squares, so moves always end (property)', () => {
    for (let n = 2; n <= 9; n++) {
      for (let k = 2; k <= 4; k++) {
        const engines = Array.from({ length: k }, (_, i) => engine(`e${i}`));
        const replicas = on(...Array.from({ length: n }, () => 'e0'));
        let moves = 0;
        for (let m = spreadMove({ site: 's', engines, replicas, assignments: replicas }); m; m = spreadMove({ site: 's', engines, replicas, assignments: replicas })) {
          replicas.find((r) => r.engine === m!.from)!.engine = m.to;
          assert.ok(++moves <= n, 'bounded');
        }
        const counts = engines.map((e) => replicas.filter((r) => r.engine === e.id).length);
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${n} on ${k}: ${counts.join('/')}`);
      }
    }
  });
});

describe('appendOnly', () => {
  it('places exactly as a list counted afresh, as it grows and when it is not appended to after all (property)', () => {
    const engines = [engine('a', 6), engine('b', 6), engine('c', 6, true), engine('d', 6)];
    const item = fc.record({ engine: fc.constantFrom('a', 'b', 'c', 'd', 'gone'), site: fc.constantFrom('s', 't', 'u') });
    const step = fc.oneof(
      { weight: 4, arbitrary: item.map((a) => ({ op: 'append' as const, a })) },
      { weight: 3, arbitrary: fc.record({ site: fc.constantFrom('s', 't', 'u'), count: fc.integer({ min: 0, max: 3 }) }).map((q) => ({ op: 'place' as const, ...q })) },
      { weight: 1, arbitrary: fc.constant({ op: 'pop' as const }) },
    );
    fc.assert(fc.property(fc.array(item, { maxLength: 10 }), fc.array(step, { maxLength: 30 }), (start, steps) => {
      const kept = appendOnly([...start]);
      for (const s of steps) {
        if (s.op === 'append') kept.push(s.a);
        else if (s.op === 'pop') kept.pop();
        else {
          const want = placeReplicas({ site: s.site, count: s.count, engines, assignments: [...kept] });
          assert.deepEqual(placeReplicas({ site: s.site, count: s.count, engines, assignments: kept }), want);
          const replicas = kept.filter((a) => a.site === s.site);
          assert.deepEqual(spreadMove({ site: s.site, engines, replicas, assignments: kept }), spreadMove({ site: s.site, engines, replicas, assignments: [...kept] }));
        }
      }
    }), { numRuns: 300 });
  });
});
