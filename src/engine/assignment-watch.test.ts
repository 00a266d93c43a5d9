import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { watchAssignments, type Assignments } from './assignment-watch.ts';
import { metricsRegistry } from './metrics.ts';
import { onCleanup, tempDir } from './testing.ts';

const assignment = (vs: string, extra: Record<string, unknown> = {}): Assignment => ({
  vs, engine: 'e1', site: 'shop', customer: 'acme', kind: 'app', release: 'v1', sha256: 'b'.repeat(64),
  command: 'node server.js', healthPath: '/health', env: { GREETING: 'hi' }, domains: ['shop.example'], createdAt: new Date(0).toISOString(),
  ...extra,
} as Assignment);
const a = (vs: string, extra: Record<string, unknown> = {}) => JSON.stringify(assignment(vs, extra));

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

test('an assignment the engine cannot run (as an older API accepted) is skipped, logged and counted; the others run', async (t) => {
  const store = await openSqliteStore(path.join(await tempDir(t), 'store.db'));
  onCleanup(t, () => store.close());
  const bad: Record<string, Record<string, unknown>> = {
    'bad-nul-env': { site: 'nul-env', env: { SECRET: 'a\u0000b' } },
    'bad-env-name': { site: 'env-name', env: { 'A=B': 'x' } },
    'bad-space-path': { site: 'space-path', healthPath: '/a b' },
    'bad-crlf-path': { site: 'crlf-path', healthPath: '/x\r\nHost: evil' },
    'bad-nul-command': { site: 'nul-command', command: 'node\u0000server.js' },
    'bad-crlf-command': { site: 'crlf-command', command: 'node server.js\nrm -rf /' },
    'bad-kind': { site: 'bad-kind', kind: 'php' },
    'bad-domain': { site: 'bad-domain', domains: ['x\r\nHost: evil'] },
    'bad-memory': { site: 'bad-memory', resources: { memoryMb: -1 } },
  };
  for (const [vs, extra] of Object.entries(bad)) await store.put(keys.assignment('e1', vs), a(vs, extra));
  await store.put(keys.assignment('e1', 'good-1'), a('good-1'));
  const logged: Array<Record<string, unknown>> = [];
  const log = { ...silentLogger, error: (fields: Record<string, unknown>) => void logged.push(fields) } as unknown as typeof silentLogger;
  let last: Assignments = new Map();
  const w = await watchAssignments(store, keys.engineAssignments('e1'), (all) => (last = all), log);
  onCleanup(t, () => w.close());
  assert.deepEqual([...last.keys()], ['good-1']);
  assert.deepEqual(logged.map((f) => f.vs).sort(), Object.keys(bad).sort());
  assert.match(String(logged.find((f) => f.vs === 'bad-space-path')?.problem), /\/healthPath must be a URL path/);
  assert.match(String(logged.find((f) => f.vs === 'bad-nul-env')?.problem), /\/env\/SECRET must be text without NUL/);

  // a running one turned bad by a later write is dropped (stopped); a later good one runs
  await store.put(keys.assignment('e1', 'good-1'), a('good-1', { site: 'turned-bad', env: { X: '\u0000' } }));
  await store.put(keys.assignment('e1', 'good-2'), a('good-2'));
  await waitFor(() => last.has('good-2') && !last.has('good-1'), { what: 'the bad update skipped' });

  const text = await metricsRegistry.metrics();
  assert.match(text, /corral_engine_bad_records_total\{kind="assignment",site="space-path"\} 1\b/);
  assert.match(text, /corral_engine_bad_records_total\{kind="assignment",site="turned-bad"\} 1\b/);
});
