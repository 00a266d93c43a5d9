// The farm mirror equals a fresh readSnapshot after any sequence of writes: on a real
// SQLite store and a real etcd, writes before it starts, while it ranges, and after;
// non-ASCII keys (store order is UTF-8 bytes); a broken watch makes it range again.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { keys } from '../model/index.ts';
import { openEtcdStore, openSqliteStore, type Store, type TxnOp, type WatchOptions } from '../store/index.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { createFarmMirror } from './farm-mirror.ts';
import { readSnapshot } from './reconciler.ts';
import { databaseSecrets } from './database-secrets.ts';

const secrets = databaseSecrets(randomBytes(32));
const other = databaseSecrets(randomBytes(32));
/** Names whose UTF-16 order differs from their UTF-8 order ('\u{1F600}' sorts after '\uFF21' in UTF-8). */
const NAMES = ['a', 'b', 'a-1', 'é', '\uFF21', '\u{1F600}', 'z'];

type Kind = 'site' | 'release' | 'engine' | 'drain' | 'assignment' | 'status' | 'route' | 'scale' | 'database' | 'event';
const KINDS: Kind[] = ['site', 'release', 'engine', 'drain', 'assignment', 'status', 'route', 'scale', 'database', 'event'];
const PREFIX: Record<Kind, string> = {
  site: keys.sites, release: keys.releases, engine: keys.engines, drain: keys.engineDrains, assignment: keys.assignments,
  status: keys.vsStatuses, route: keys.routes, scale: keys.scales, database: keys.databases, event: keys.events,
};

/** One record of a kind, shaped as readSnapshot indexes it; `n` makes versions differ. */
function record(kind: Kind, a: string, b: string, n: number): [string, string] {
  const v = (x: object): string => JSON.stringify({ ...x, n });
  switch (kind) {
    case 'site': return [keys.site(a), v({ name: a, replicas: n })];
    case 'release': return [keys.release(a, b), v({ site: a, id: b })];
    case 'engine': return [keys.engine(a), v({ id: a })];
    case 'drain': return [keys.engineDrain(a), v({})];
    case 'assignment': return [keys.assignment(a, b), v({ engine: a, vs: `${a}.${b}` })];
    case 'status': return [keys.vsStatus(a, b), v({ engine: a, vs: `${a}.${b}` })];
    case 'route': return [keys.route(a), v({ site: a })];
    case 'scale': return [keys.scale(a), v({ site: a })];
    case 'database': return [keys.database(a), v({ name: a, customer: b, pgName: `pg_${n}`, logins: [{ user: `u${n}`, sealedPassword: (n % 3 === 0 ? other : secrets).seal(`pw${n}`) }] })];
    case 'event': return [keys.event('farm', `${a}${b}${n}`), v({})];
  }
}

type Op = { op: 'put' | 'delete'; kind: Kind; a: string; b: string; n: number } | { op: 'deletePrefix'; kind: Kind } | { op: 'txn'; writes: { kind: Kind; a: string; b: string; n: number; del: boolean }[] };

const write = fc.record({ kind: fc.constantFrom(...KINDS), a: fc.constantFrom(...NAMES), b: fc.constantFrom(...NAMES), n: fc.nat(20) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: write.map((w) => ({ op: 'put' as const, ...w })) },
  { weight: 2, arbitrary: write.map((w) => ({ op: 'delete' as const, ...w })) },
  { weight: 1, arbitrary: fc.constantFrom(...KINDS).map((kind) => ({ op: 'deletePrefix' as const, kind })) },
  { weight: 2, arbitrary: fc.array(fc.record({ kind: fc.constantFrom(...KINDS), a: fc.constantFrom(...NAMES), b: fc.constantFrom(...NAMES), n: fc.nat(20), del: fc.boolean() }), { minLength: 1, maxLength: 4 }).map((writes) => ({ op: 'txn' as const, writes })) },
);

async function run(store: Store, op: Op): Promise<void> {
  if (op.op === 'deletePrefix') {
    await store.deletePrefix(PREFIX[op.kind]);
  } else if (op.op === 'txn') {
    const seen = new Set<string>();
    const ops: TxnOp[] = [];
    for (const w of op.writes) {
      const [key, value] = record(w.kind, w.a, w.b, w.n);
      if (seen.has(key)) continue;
      seen.add(key);
      ops.push(w.del ? { type: 'delete', key } : { type: 'put', key, value });
    }
    await store.txn({ compare: [], success: ops });
  } else {
    const [key, value] = record(op.kind, op.a, op.b, op.n);
    if (op.op === 'put') await store.put(key, value);
    else await store.delete(key);
  }
}

/** Writes before the mirror starts, while it first syncs, then after, checked after each step of the last part. */
function mirrorProperty(open: () => Promise<{ store: Store; close: () => Promise<void> }>, numRuns: number): Promise<void> {
  const ops = fc.array(opArb, { maxLength: 12 });
  return fc.assert(fc.asyncProperty(ops, ops, fc.array(fc.array(opArb, { maxLength: 4 }), { maxLength: 5 }), fc.boolean(), async (early, during, steps, withSecrets) => {
    const { store, close } = await open();
    const mirror = createFarmMirror({ store, ...(withSecrets ? { databaseSecrets: secrets } : {}) });
    try {
      for (const op of early) await run(store, op);
      const first = mirror.sync();
      for (const op of during) await run(store, op);
      await first;
      await mirror.sync();
      assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(store, withSecrets ? secrets : undefined));
      for (const step of steps) {
        for (const op of step) await run(store, op);
        await mirror.sync();
        assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(store, withSecrets ? secrets : undefined));
        assert.equal(mirror.revision(), await store.revision());
      }
    } finally {
      mirror.close();
      await close();
    }
  }), { numRuns });
}

async function sqlite(): Promise<{ store: Store; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-mirror-'));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

describe('farm mirror (SQLite)', () => {
  it('equals readSnapshot after any sequence of puts, deletes and transactions', async () => {
    await mirrorProperty(sqlite, 60);
  });

  it('keeps unchanged parts of the snapshot and never changes one already handed out', async (t) => {
    const { store, close } = await sqlite();
    t.after(close);
    const mirror = createFarmMirror({ store });
    t.after(() => mirror.close());
    for (const n of ['a', 'b']) await run(store, { op: 'put', kind: 'site', a: n, b: n, n: 1 });
    await run(store, { op: 'put', kind: 'assignment', a: 'e1', b: 'x', n: 1 });
    await mirror.sync();
    const one = mirror.snapshot();
    const frozen = structuredClone(one.sites);
    await run(store, { op: 'put', kind: 'site', a: 'c', b: 'c', n: 1 });
    await run(store, { op: 'delete', kind: 'site', a: 'a', b: 'a', n: 1 });
    await mirror.sync();
    const two = mirror.snapshot();
    assert.deepStrictEqual(one.sites, frozen, 'the first snapshot is untouched');
    assert.deepStrictEqual(two.sites.map((s) => s.name), ['b', 'c']);
    assert.equal(two.assignments, one.assignments, 'an unchanged prefix is the same list');
  });

  it('patches its maps record by record (a status rewrite keeps the map), and makes one afresh where two records share a key', async (t) => {
    const { store, close } = await sqlite();
    t.after(close);
    const mirror = createFarmMirror({ store });
    t.after(() => mirror.close());
    const status = (engine: string, vs: string, n: number) => store.put(keys.vsStatus(engine, vs), JSON.stringify({ engine, vs, n }));
    for (let i = 0; i < 50; i++) await status('e1', `v${i}`, 0);
    await mirror.sync();
    const statuses = mirror.snapshot().statuses;
    await status('e1', 'v7', 1);
    await store.delete(keys.vsStatus('e1', 'v8'));
    await status('e1', 'v50', 0);
    await mirror.sync();
    assert.equal(mirror.snapshot().statuses, statuses, 'the same map, patched');
    assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(store));
    // the same VS under two engines: the last in key order wins, as in a fresh read, through puts and deletes
    for (const step of [() => status('e2', 'v7', 2), () => status('e0', 'v7', 3), () => store.delete(keys.vsStatus('e2', 'v7')), () => store.delete(keys.vsStatus('e1', 'v7')), () => status('e1', 'v9', 4)]) {
      await step();
      await mirror.sync();
      assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(store));
    }
  });

  it('calls onChange with the mirrored prefixes a revision changed, not for other records', async (t) => {
    const { store, close } = await sqlite();
    t.after(close);
    const seen: string[][] = [];
    const mirror = createFarmMirror({ store, onChange: (p) => seen.push([...p].sort()) });
    t.after(() => mirror.close());
    await mirror.sync();
    await run(store, { op: 'put', kind: 'event', a: 'a', b: 'b', n: 1 });
    await run(store, { op: 'txn', writes: [{ kind: 'site', a: 'a', b: 'a', n: 1, del: false }, { kind: 'route', a: 'a', b: 'a', n: 1, del: false }] });
    await mirror.sync();
    assert.deepStrictEqual(seen, [[keys.routes, keys.sites].sort()]);
  });

  it('reads the farm again after its watch breaks, and goes on', async (t) => {
    const { store: real, close } = await sqlite();
    t.after(close);
    const errors: ((err: Error) => void)[] = [];
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'watch') return Reflect.get(target, prop, receiver) as unknown;
        return (prefix: string, cb: Parameters<Store['watch']>[1], opts: WatchOptions = {}) => {
          if (opts.onError) errors.push(opts.onError);
          return target.watch(prefix, cb, opts);
        };
      },
    });
    const mirror = createFarmMirror({ store });
    t.after(() => mirror.close());
    await run(real, { op: 'put', kind: 'site', a: 'a', b: 'a', n: 1 });
    await mirror.sync();
    errors[0]?.(new Error('watch broke'));
    await run(real, { op: 'put', kind: 'site', a: 'b', b: 'b', n: 2 });
    await run(real, { op: 'delete', kind: 'site', a: 'a', b: 'a', n: 1 });
    await mirror.sync();
    assert.equal(errors.length, 2, 'a second watch was opened');
    assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(real));
    await run(real, { op: 'put', kind: 'engine', a: 'e', b: 'e', n: 3 });
    await mirror.sync();
    assert.deepStrictEqual(mirror.snapshot(), await readSnapshot(real));
  });
});

const skip = etcdMissing();
let etcd: EtcdCluster | undefined;
describe('farm mirror (etcd)', { skip }, () => {
  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
  });
  after(() => etcd?.close());

  it('equals readSnapshot after any sequence of puts, deletes and transactions', async () => {
    await mirrorProperty(async () => {
      const store = await openEtcdStore(etcd?.endpoints ?? [], { namespace: `/mirror-${randomUUID()}` });
      return { store, close: () => store.close() };
    }, 15);
  });
});
