// The scheduler's memory rule (memory-room.ts): each server reserves its memory limit on its
// engine, an engine takes one more only while the reservations fit (memory − reserved) ×
// overcommit, the most free memory wins once the spread is even, a spread move never goes
// where the server does not fit, and the unplaced reason says how much was wanted and the
// most there was. An engine record without the memory fields (an older engine) is placed by
// count, as before.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas, spreadMove, unplacedReason, type Placed } from './scheduler.ts';
import { defaultReservedMemoryMb, memoryAllowanceMb, type EngineRecord } from '../model/index.ts';

/** An engine offering `offersMb` to guests: that much memory above a 1 GiB reserve, overcommit 1 unless given. */
function engine(id: string, offersMb: number, over: Partial<EngineRecord['capacity']> = {}): EngineRecord {
  return { id, runtime: 'process', capacity: { cpus: 2, memoryMb: offersMb + 1024, maxVirtualServers: 64, reservedMemoryMb: 1024, memoryOvercommit: 1, ...over }, startedAt: '' };
}

/** `n` servers of a site on an engine, each with a memory limit (absent: the default, 256 MiB). */
function servers(engineId: string, site: string, n: number, memoryMb?: number): Placed[] {
  return Array.from({ length: n }, () => ({ engine: engineId, site, ...(memoryMb !== undefined ? { resources: { memoryMb } } : {}) }));
}

describe('memory as a placement rule', () => {
  it('places while the memory limits fit, then no more; the default limit is 256 MiB', () => {
    assert.deepEqual(placeReplicas({ site: 's', count: 4, engines: [engine('e1', 3072)], assignments: [], memoryMb: 1024 }), ['e1', 'e1', 'e1']);
    assert.deepEqual(placeReplicas({ site: 's', count: 20, engines: [engine('e1', 3072)], assignments: [] }).length, 12, '3072 / 256');
    const taken = servers('e1', 'other', 2, 1024);
    assert.deepEqual(placeReplicas({ site: 's', count: 2, engines: [engine('e1', 3072)], assignments: taken, memoryMb: 1024 }), ['e1'], 'what is placed reserves its limit');
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('e1', 3072)], assignments: taken, memoryMb: 1025 }), [], 'one MiB too many');
  });

  it('overcommit: the ratio multiplies what is left after the reserve', () => {
    const e = (ratio: number) => engine('e1', 3072, { memoryOvercommit: ratio });
    assert.equal(placeReplicas({ site: 's', count: 20, engines: [e(1)], assignments: [], memoryMb: 1024 }).length, 3);
    assert.equal(placeReplicas({ site: 's', count: 20, engines: [e(2)], assignments: [], memoryMb: 1024 }).length, 6);
    assert.equal(placeReplicas({ site: 's', count: 20, engines: [e(0.5)], assignments: [], memoryMb: 1024 }).length, 1);
    assert.equal(memoryAllowanceMb({ memoryMb: 4096, reservedMemoryMb: 1024, memoryOvercommit: 1.5 }), 4608);
  });

  it('an engine that records no memory rule (an older engine) is placed by its count alone', () => {
    const old: EngineRecord = { id: 'old', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 3 }, startedAt: '' };
    assert.deepEqual(placeReplicas({ site: 's', count: 5, engines: [old], assignments: [], memoryMb: 65_536 }), ['old', 'old', 'old']);
    assert.equal(unplacedReason({ site: 's', engines: [old], assignments: servers('old', 's', 3), memoryMb: 65_536 }), 'every engine is at its most virtual servers (3/3)');
  });

  it('the defaults: a reserve for the host by tiers, overcommit 1.5', () => {
    assert.deepEqual([1024, 4096, 8192, 24_576, 262_144].map(defaultReservedMemoryMb), [256, 1024, 1843, 3154, 12165]);
    assert.equal(memoryAllowanceMb({ memoryMb: 24_576, reservedMemoryMb: 3154 }), 32_133, 'overcommit absent: 1.5');
    assert.equal(memoryAllowanceMb({ memoryMb: 24_576, memoryOvercommit: 1 }), 21_422, 'reserve absent: the tiers');
    assert.equal(memoryAllowanceMb({ memoryMb: 24_576 }), undefined, 'neither: not checked');
  });

  it('after the spread, the engine with the most memory free after the server', () => {
    // e1 has fewer servers but less memory left: memory decides
    const assignments = [...servers('e1', 'big', 1, 2048), ...servers('e2', 'x', 3, 128)];
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('e1', 3072), engine('e2', 3072)], assignments, memoryMb: 512 }), ['e2']);
    // the spread still comes first: e2 already has one of the site
    const withSite = [...assignments, ...servers('e2', 's', 1, 512)];
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('e1', 3072), engine('e2', 3072)], assignments: withSite, memoryMb: 512 }), ['e1']);
    // and an engine without room is skipped even when the spread would want it
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines: [engine('e1', 2048), engine('e2', 3072)], assignments: withSite, memoryMb: 512 }), ['e2']);
  });

  it('the reason names what was wanted and the most free there was', () => {
    const engines = [engine('e1', 8192), engine('e2', 8192)];
    const assignments = [...servers('e1', 'a', 2, 4096), ...servers('e2', 'b', 1, 4096), ...servers('e2', 'c', 1, 2296)];
    assert.deepEqual(placeReplicas({ site: 's', count: 1, engines, assignments, memoryMb: 4096 }), []);
    assert.equal(unplacedReason({ site: 's', engines, assignments, memoryMb: 4096 }), 'no engine has 4096 MiB free (most free: 1800 MiB on e2)');
    assert.equal(unplacedReason({ site: 's', engines, assignments, memoryMb: 65_536 }), 'no engine is big enough for 65536 MiB (the largest, e1, takes 8192 MiB)');
    const reaching = engines.map((e) => ({ ...e, reachesDatabase: true as const }));
    assert.equal(unplacedReason({ site: 's', engines: reaching, assignments, memoryMb: 4096, database: true }), "no engine that reaches the site's database has 4096 MiB free (most free: 1800 MiB on e2)");
    // at its most servers: that reason, whatever the memory
    const full = [engine('e1', 8192, { maxVirtualServers: 2 }), engine('e2', 8192, { maxVirtualServers: 2 })];
    assert.equal(unplacedReason({ site: 's', engines: full, assignments, memoryMb: 4096 }), 'every engine is at its most virtual servers (4/4)');
  });

});

describe('spreadMove and memory', () => {
  const on = (engineId: string, n: number) => servers(engineId, 's', n, 1024);

  it('never moves a replica into an engine where it does not fit', () => {
    const replicas = on('e1', 4);
    const filler = servers('e2', 'other', 1, 2560);
    const engines = [engine('e1', 8192), engine('e2', 3072)];
    assert.equal(spreadMove({ site: 's', engines, replicas, assignments: [...replicas, ...filler], memoryMb: 1024 }), undefined, 'e2 has 512 MiB free');
    assert.deepEqual(spreadMove({ site: 's', engines, replicas, assignments: replicas, memoryMb: 1024 }), { from: 'e1', to: 'e2' }, 'with room, it moves');
  });

  it('moves into the engine with room when another without room is emptier', () => {
    const replicas = [...on('e1', 4), ...on('e2', 1)];
    const engines = [engine('e1', 8192), engine('e2', 8192), engine('e3', 512)];
    assert.deepEqual(spreadMove({ site: 's', engines, replicas, assignments: replicas, memoryMb: 1024 }), { from: 'e1', to: 'e2' });
  });
});
