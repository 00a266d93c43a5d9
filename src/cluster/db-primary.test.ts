// The database primary's watch over Patroni's keys, on the SQLite store (the same Store
// contract as etcd): a read of the keys that fails is tried again, so the watch does not keep
// naming the old primary until some later write (a leader keeps its key without rewriting it).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { patroniKeys, watchDbPrimary } from './db-primary.ts';

test('a failed read of the leader is tried again: the watch follows a new primary without a further write', async (t) => {
  const dir = await tempDir(t, 'corral-db-primary-');
  const store = await openSqliteStore(join(dir, 'store.db'));
  onCleanup(t, () => store.close());
  const member = (name: string, port: number) => store.put(patroniKeys.member(name), JSON.stringify({ conn_url: `postgres://127.0.0.1:${port}/postgres` }));
  await member('e1', 5001);
  await member('e2', 5002);
  await store.put(patroniKeys.leader, 'e1');
  // the store fails reads while `failing` is set
  let failing = false;
  let failed = 0;
  const flaky = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return (key: string) => {
          if (failing) {
            failed++;
            return Promise.reject(new Error('the store is away'));
          }
          return target.get(key);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Store;
  const watch = await watchDbPrimary(flaky);
  onCleanup(t, () => watch.close());
  assert.equal(watch.current()?.member, 'e1');
  failing = true;
  await store.put(patroniKeys.leader, 'e2'); // the one event of the change, its read failing
  await waitFor(() => failed > 0, { what: 'the read after the leader changed' });
  failing = false;
  await waitFor(() => watch.current()?.member === 'e2', { what: 'e2 followed without a further write', timeoutMs: 5_000 });
  assert.equal(watch.current()?.port, 5002);
});
