// The reconciler on a real SQLite store with no ticks: every step below is done by passes
// the changes kicked, which plan only the sites the changes concern (dirty-sites.ts), and
// the farm still converges; the other site is left as it was.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { waitFor } from '../lib/wait.ts';
import { startReconciler } from './reconciler.ts';
import { assignments, openFarm, ready, route, site } from './reconciler-testing.ts';

test('passes kicked by changes bring a site up, scale it and remove it, and leave another site alone', async (t) => {
  const store = await openFarm(t, 'corral-reconcile-dirty-', 1);
  const reconciler = await startReconciler({ store, tickMs: 3_600_000, drainDelayMs: 0 });
  t.after(() => reconciler.close());

  await waitFor(async () => (await assignments(store, 'bravo')).length === 1, { what: 'bravo placed by the first pass' });
  await ready(store, 'bravo');
  await waitFor(async () => (await route(store, 'bravo'))?.endpoints.length === 1, { what: 'bravo routed' });
  const bRoute = (await store.get(keys.route('bravo')))?.modRevision;

  await ready(store, 'alpha');
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 1, { what: 'alpha routed' });
  await store.put(keys.site('alpha'), JSON.stringify(site('alpha', 3)));
  await waitFor(async () => (await assignments(store, 'alpha')).length === 3, { what: 'alpha scaled to 3' });
  await ready(store, 'alpha');
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 3, { what: 'alpha routed to 3' });

  await store.delete(keys.site('alpha'));
  await waitFor(async () => (await assignments(store, 'alpha')).length === 0 && (await route(store, 'alpha')) === undefined, { what: 'alpha removed' });
  assert.equal((await store.get(keys.route('bravo')))?.modRevision, bRoute, 'bravo’s route was not rewritten');
  assert.equal((await assignments(store, 'bravo')).length, 1);
});
