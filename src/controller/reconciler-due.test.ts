// The reconciler's tick plans the sites whose timers run, not every site (due-sites.ts):
// a server scaled away leaves the route at once and is removed once its drain delay is
// over, by passes over that site alone — no pass over every site in between.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { waitFor } from '../lib/wait.ts';
import { FULL_PASS_EVERY_MS, startReconciler } from './reconciler.ts';
import { assignments, openFarm, ready, route, site } from './reconciler-testing.ts';
import { reconcileFullPasses } from './metrics.ts';

const fullPasses = async (): Promise<number> => (await reconcileFullPasses.get()).values[0]?.value ?? 0;

test('a drain delay ends by the tick planning that site, with no pass over every site', async (t) => {
  const store = await openFarm(t, 'corral-reconcile-due-', 2);
  const started = Date.now();
  const reconciler = await startReconciler({ store, tickMs: 50, drainDelayMs: 600 });
  t.after(() => reconciler.close());
  for (const name of ['alpha', 'bravo']) {
    await waitFor(async () => (await assignments(store, name)).length === 2, { what: `${name} placed` });
    await ready(store, name);
    await waitFor(async () => (await route(store, name))?.endpoints.length === 2, { what: `${name} routed` });
  }
  const bravoRoute = (await store.get(keys.route('bravo')))?.modRevision;

  const full = await fullPasses();
  const scaled = Date.now();
  await store.put(keys.site('alpha'), JSON.stringify(site('alpha', 1)));
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 1, { what: 'alpha routed to 1' });
  await waitFor(async () => (await assignments(store, 'alpha')).length === 1, { what: 'the retired server removed after its drain' });
  const took = Date.now() - scaled;
  assert.ok(took >= 600, `removed ${took} ms after the scale-down (drain 600 ms)`);
  if (Date.now() - started < FULL_PASS_EVERY_MS - 500) assert.equal(await fullPasses(), full, 'passes over every site while the drain ran');
  else t.diagnostic('slow machine: the periodic full pass may have come meanwhile; not counted');
  assert.equal((await store.get(keys.route('bravo')))?.modRevision, bravoRoute, 'bravo’s route was not rewritten');
});
