import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import type { VsState } from '../model/index.ts';
import { createProcessRuntime } from './process-runtime.ts';
import { createStartGate, defaultMaxStarts } from './start-gate.ts';
import { createSupervisor, type SupervisorTiming } from './supervisor.ts';
import { appSpec, onCleanup, tempDir, writeTestRelease } from './testing.ts';

test('slots go to waiters in FIFO order, one per release', async () => {
  const gate = createStartGate(2);
  const a = gate.tryAcquire();
  const b = gate.tryAcquire();
  assert.ok(a && b);
  assert.equal(gate.tryAcquire(), undefined, 'both slots held');
  const order: string[] = [];
  const waiters = ['c', 'd', 'e'].map((n) => gate.acquire().then((s) => (order.push(n), s)));
  assert.equal(gate.waiting, 3);
  a();
  a(); // twice: still one slot given back
  await waitFor(() => order.length === 1, { what: 'c granted' });
  assert.equal(gate.tryAcquire(), undefined, 'a newcomer does not overtake the queue');
  b();
  await waitFor(() => order.length === 2, { what: 'd granted' });
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(gate.active, 2);
  const [c, d] = await Promise.all([waiters[0], waiters[1]]);
  c!();
  const e = await waiters[2];
  assert.deepEqual(order, ['c', 'd', 'e']);
  d!();
  e!();
  c!(); // already given back: no effect
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);
});

test("fair between customers: a freed slot goes to the waiter whose customer holds the fewest, so one customer's stuck starts never hold every slot while another waits", async () => {
  const gate = createStartGate(2);
  const e1 = gate.tryAcquire('evil');
  const e2 = gate.tryAcquire('evil');
  assert.ok(e1 && e2, 'evil holds both slots (servers that will never be ready)');
  const order: string[] = [];
  const wait = (owner: string, name: string) => gate.acquire(undefined, owner).then((s) => (order.push(name), s));
  const e3 = wait('evil', 'evil-3'); // evil's restarts queue first
  const e4 = wait('evil', 'evil-4');
  const acme = wait('acme', 'acme-wake'); // then acme's wake
  e1();
  await waitFor(() => order.length === 1, { what: 'one granted' });
  assert.deepEqual(order, ['acme-wake'], "acme holds none, evil one: acme's waiter goes first though it came last");
  e2();
  await waitFor(() => order.length === 2, { what: 'the next granted' });
  assert.deepEqual(order, ['acme-wake', 'evil-3'], 'then the earliest of the rest');
  for (const s of await Promise.all([acme, e3])) s!();
  await waitFor(() => order.length === 3, { what: 'the last granted' });
  (await e4)!();
  assert.equal(gate.active, 0);
});

test("the last slot is kept for first tries: a VS whose last start never got ready holds at most limit − 1, so another's wake starts at once", async () => {
  const gate = createStartGate(3);
  const r1 = gate.tryAcquire('evil', 'retry');
  const r2 = gate.tryAcquire('evil', 'retry');
  assert.ok(r1 && r2);
  assert.equal(gate.tryAcquire('evil', 'retry'), undefined, 'a third retry waits though a slot is free');
  let r3Granted = false;
  const r3 = gate.acquire(undefined, 'evil', 'retry').then((s) => ((r3Granted = true), s));
  const wake = gate.tryAcquire('acme', 'first');
  assert.ok(wake, "acme's first try takes the last slot, not queued behind the retry");
  assert.equal(gate.active, 3);
  wake();
  await Promise.resolve();
  assert.equal(r3Granted, false, 'the freed last slot does not go to a retry');
  assert.equal(gate.waiting, 1);
  r1();
  const s3 = await r3;
  assert.ok(s3, 'a retry gets a slot below the last');
  assert.equal(gate.active, 2);
  for (const s of [r2, s3!]) s();
  assert.equal(gate.active, 0);

  const one = createStartGate(1);
  const only = one.tryAcquire('evil', 'retry');
  assert.ok(only, 'with one slot there is no last slot to keep: retries still start');
  only();
});

test('a waiter whose signal aborts leaves the queue and gets nothing', async () => {
  const gate = createStartGate(1);
  const held = gate.tryAcquire()!;
  const stop = new AbortController();
  const gone = gate.acquire(stop.signal);
  const next = gate.acquire();
  stop.abort();
  assert.equal(await gone, undefined);
  assert.equal(gate.waiting, 1);
  held();
  const slot = await next;
  assert.ok(slot, 'the next waiter got the slot');
  assert.equal(await gate.acquire(AbortSignal.abort()), undefined);
  slot();
  assert.equal(gate.active, 0);
});

test('the limit is a whole number ≥ 1, by default the cores (at least 2)', () => {
  assert.ok(defaultMaxStarts() >= 2);
  assert.throws(() => createStartGate(0), /maxConcurrentStarts/);
  assert.throws(() => createStartGate(1.5), /maxConcurrentStarts/);
});

test('6 slow VSs, 2 start slots: never more than 2 starting, the rest queued, all ready, no start timeout while queued', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const gate = createStartGate(2);
  // Each VS needs READY_MS to listen; the third pair waits for two pairs to get ready,
  // so it stays queued longer than the startup deadline.
  const READY_MS = 1_600;
  const timing: Partial<SupervisorTiming> = { startupPollMs: 20, pollMs: 100, checkTimeoutMs: 500, startupTimeoutMs: 3_000, backoffBaseMs: 20, backoffMaxMs: 100 };
  const current = new Map<string, VsState>();
  const seen: VsState[] = [];
  const queuedAt = new Map<string, number>();
  const queuedFor = new Map<string, number>();
  let maxStarting = 0;
  const sups = Array.from({ length: 6 }, (_, i) => {
    const spec = appSpec(base, `slow-${i}`, { LISTEN_AFTER_MS: String(READY_MS) });
    const sup = createSupervisor({
      runtime, spec, timing, startGate: gate, log: silentLogger,
      onState: (s) => {
        current.set(s.vs, s.state);
        seen.push(s.state);
        if (s.state === 'queued') queuedAt.set(s.vs, Date.now());
        if (s.state === 'starting' && queuedAt.has(s.vs) && !queuedFor.has(s.vs)) queuedFor.set(s.vs, Date.now() - queuedAt.get(s.vs)!);
        maxStarting = Math.max(maxStarting, [...current.values()].filter((v) => v === 'starting').length);
      },
    });
    onCleanup(t, () => sup.stop(0));
    return sup;
  });
  for (const sup of sups) sup.start();

  assert.deepEqual([...current.values()].sort(), ['queued', 'queued', 'queued', 'queued', 'starting', 'starting']);
  await waitFor(() => sups.every((s) => s.snapshot.state === 'ready'), { what: 'all 6 ready', timeoutMs: 30_000 });
  assert.ok(maxStarting <= 2, `at most 2 starting at once, saw ${maxStarting}`);
  assert.equal(maxStarting, 2);
  assert.equal(queuedFor.size, 4, 'four VSs waited in the queue');
  const longest = Math.max(...queuedFor.values());
  assert.ok(longest > timing.startupTimeoutMs!, `one VS stayed queued past the startup deadline (${longest} ms)`);
  assert.ok(!seen.includes('crashed'), 'no VS was killed for missing its deadline');
  assert.deepEqual(sups.map((s) => s.snapshot.restarts), [0, 0, 0, 0, 0, 0]);
  assert.equal(gate.active, 0, 'every slot given back once ready');
});

test('a restart after a crash waits for a slot too', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const gate = createStartGate(1);
  const timing: Partial<SupervisorTiming> = { startupPollMs: 20, pollMs: 100, checkTimeoutMs: 500, backoffBaseMs: 10, backoffMaxMs: 20 };
  const states: VsState[] = [];
  // Exits (code 3) soon after getting ready, so it keeps asking for a slot.
  const crashy = createSupervisor({ runtime, spec: appSpec(base, 'crashy', { EXIT_AFTER_MS: '300' }), timing, startGate: gate, log: silentLogger, onState: (s) => states.push(s.state) });
  onCleanup(t, () => crashy.stop(0));
  crashy.start();
  await waitFor(() => states.includes('crashed'), { what: 'first crash' });
  const held = await gate.acquire(); // another VS takes the only slot
  onCleanup(t, () => held?.());
  await waitFor(() => crashy.snapshot.state === 'queued', { what: 'restart queued' });
  const starts = states.filter((s) => s === 'starting').length;
  held!();
  await waitFor(() => states.filter((s) => s === 'starting').length > starts, { what: 'restart after the slot came back' });
  await crashy.stop(0);
  assert.equal(crashy.snapshot.state, 'stopped');
});

test("servers that never get ready take the last slot only on their first try: afterwards another customer's server starts at once", async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const gate = createStartGate(2);
  const timing: Partial<SupervisorTiming> = { startupPollMs: 20, pollMs: 100, checkTimeoutMs: 500, startupTimeoutMs: 600, backoffBaseMs: 10, backoffMaxMs: 20 };
  const timeouts = new Map<string, number>();
  const stuck = ['stuck-1', 'stuck-2'].map((name) => {
    const sup = createSupervisor({
      runtime, timing, startGate: gate, log: silentLogger,
      spec: { ...appSpec(base, name, { LISTEN_AFTER_MS: '600000' }), customer: 'evil' }, // never ready
      onState: (s) => { if (s.state === 'crashed') timeouts.set(s.vs, (timeouts.get(s.vs) ?? 0) + 1); },
    });
    onCleanup(t, () => sup.stop(0));
    sup.start();
    return sup;
  });
  assert.equal(gate.active, 2, 'both first tries hold a slot');
  await waitFor(() => timeouts.size === 2, { what: 'both missed their start deadline once', timeoutMs: 10_000 });
  await waitFor(() => stuck.some((s) => s.snapshot.state === 'queued'), { what: 'one retry queued while the other holds a slot', timeoutMs: 5_000 });
  assert.equal(gate.active, 1, 'their retries hold one slot, not both');

  const states: VsState[] = [];
  const wake = createSupervisor({ runtime, timing, startGate: gate, log: silentLogger, spec: { ...appSpec(base, 'acme-wake'), customer: 'acme' }, onState: (s) => states.push(s.state) });
  onCleanup(t, () => wake.stop(0));
  wake.start();
  assert.equal(states[0], 'starting', 'started at once, never queued');
  await waitFor(() => wake.snapshot.state === 'ready', { what: 'the wake ready' });
  assert.ok(!states.includes('queued'));
});

test('stopping a queued VS takes it out of the queue without starting it', async (t) => {
  const base = await tempDir(t);
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const gate = createStartGate(1);
  const held = gate.tryAcquire()!;
  onCleanup(t, held);
  const states: VsState[] = [];
  const sup = createSupervisor({ runtime, spec: appSpec(base, 'waiting'), startGate: gate, log: silentLogger, onState: (s) => states.push(s.state) });
  sup.start();
  assert.equal(sup.snapshot.state, 'queued');
  assert.equal(gate.waiting, 1);
  await sup.stop(0);
  assert.deepEqual(states, ['queued', 'stopping', 'stopped']);
  assert.equal(gate.waiting, 0);
});
