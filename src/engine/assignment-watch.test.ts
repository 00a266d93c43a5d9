import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { watchAssignments, type Assignments } from './assignment-watch.ts';
import { onCleanup, tempDir } from './testing.ts';

const a = (vs: string, sha = 'b'.repeat(64)) => JSON.stringify({ vs, engine: 'e1', site: 's', sha256: sha });

test('reads existing assignments, then follows puts and deletes; skips invalid ones', async (t) => {
  const store = await openSqliteStore(path.join(await tempDir(t), 'store.db'));
  onCleanup(t, () => store.close());
  await store.put(keys.assignment('e1', 'vs-1'), a('vs-1'));
  await store.put(keys.assignment('e2', 'vs-x'), a('vs-x'));
  let last: Assignments = new Map();
  const w = await watchAssignments(store, keys.engineAssignments('e1'), (all) => (last = all), silentLogger);
  onCleanup(t, () => w.close());
  assert.deepEqual([...last.keys()], ['vs-1']);

  await store.put(keys.assignment('e1', 'vs-2'), a('vs-2'));
  await store.put(keys.assignment('e1', 'vs-bad'), '{not json');
  await store.put(keys.assignment('e1', 'vs-wrong'), a('another-name'));
  await waitFor(() => last.has('vs-2'), { what: 'put seen' });
  await store.delete(keys.assignment('e1', 'vs-1'));
  await waitFor(() => !last.has('vs-1'), { what: 'delete seen' });
  assert.deepEqual([...last.keys()].sort(), ['vs-2']);
});
