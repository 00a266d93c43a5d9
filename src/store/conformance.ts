// The Store contract, as node:test cases. Every implementation runs this same suite
// from its own test file, e.g.
//
//   storeConformance('sqlite', { open: () => openSqliteStore(tmpFile()), fastLeases: true });
//
// Cases keep to a key prefix of their own, so a backend shared between cases (an
// etcd cluster) works as well as a fresh one per case (a SQLite file). They assume
// nothing else writes to the backend while they run (revision arithmetic).

import { describe } from 'node:test';
import { harness, type StoreFactory } from './conformance/harness.ts';
import { kvCases } from './conformance/kv-cases.ts';
import { leaseCases } from './conformance/lease-cases.ts';
import { txnCases } from './conformance/txn-cases.ts';
import { watchCases } from './conformance/watch-cases.ts';

export type { StoreFactory };

export function storeConformance(name: string, factory: StoreFactory): void {
  const h = harness(factory);
  describe(`Store conformance: ${name}`, { timeout: 60_000 }, () => {
    kvCases(h);
    txnCases(h);
    watchCases(h);
    leaseCases(h);
  });
}
