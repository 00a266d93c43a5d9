import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createShutdownStack } from './shutdown-stack.ts';

/** A logger whose lines the test reads back. */
function capture() {
  const lines: Array<{ level: number; event?: string; step?: string; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { log, lines, events: () => lines.map((l) => `${l.event}:${l.step}`) };
}

test('steps run last pushed first, each logged as done', async () => {
  const { log, events } = capture();
  const stack = createShutdownStack(log);
  const ran: string[] = [];
  for (const name of ['store', 'controller', 'engine', 'router']) stack.push(name, async () => void ran.push(name));
  await stack.close();
  assert.deepEqual(ran, ['router', 'engine', 'controller', 'store']);
  assert.deepEqual(events(), ['shutdown.step:router', 'shutdown.step:engine', 'shutdown.step:controller', 'shutdown.step:store']);
});

test('a step that hangs is left at its deadline and the steps below still run', async () => {
  const { log, lines } = capture();
  const stack = createShutdownStack(log);
  const ran: string[] = [];
  stack.push('store', () => void ran.push('store'));
  stack.push('engine', () => new Promise(() => {}), { deadlineMs: 30 }); // never settles
  stack.push('router', () => void ran.push('router'));
  const t0 = performance.now();
  await stack.close();
  const ms = performance.now() - t0;
  assert.deepEqual(ran, ['router', 'store']);
  assert.ok(ms >= 25 && ms < 2_000, `took ${ms} ms`);
  const timeout = lines.find((l) => l.event === 'shutdown.step-timeout');
  assert.equal(timeout?.step, 'engine');
  assert.equal(timeout?.level, 40);
});

test('a step that throws (or rejects) is logged and stops nothing else', async () => {
  const { log, lines } = capture();
  const stack = createShutdownStack(log);
  const ran: string[] = [];
  stack.push('store', () => void ran.push('store'));
  stack.push('controller', () => { throw new Error('boom'); });
  stack.push('engine', async () => { throw new Error('late boom'); });
  stack.push('router', () => void ran.push('router'));
  await stack.close();
  assert.deepEqual(ran, ['router', 'store']);
  const failed = lines.filter((l) => l.event === 'shutdown.step-failed');
  assert.deepEqual(failed.map((l) => l.step), ['engine', 'controller']);
  assert.ok(failed.every((l) => l.level === 50));
});

test('destroy runs each step\'s destroy where it has one, its close otherwise, in the same order', async () => {
  const { log } = capture();
  const stack = createShutdownStack(log);
  const ran: string[] = [];
  stack.push('store', () => void ran.push('store.close'));
  stack.push('lease', () => void ran.push('lease.revoke'), { destroy: () => void ran.push('lease.abandon') });
  stack.push('engine', () => void ran.push('engine.close'), { destroy: async () => void ran.push('engine.kill') });
  await stack.destroy();
  assert.deepEqual(ran, ['engine.kill', 'lease.abandon', 'store.close']);
});

test('close twice runs each step once, and the second call waits for the first', async () => {
  const { log } = capture();
  const stack = createShutdownStack(log);
  let closes = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  stack.push('router', async () => {
    closes++;
    await gate;
  });
  const first = stack.close();
  let secondDone = false;
  const second = stack.close().then(() => (secondDone = true));
  await Promise.resolve();
  assert.equal(secondDone, false);
  release();
  await Promise.all([first, second]);
  assert.equal(closes, 1);
  await stack.destroy(); // after close: nothing left to run
  assert.equal(closes, 1);
});

test('a step pushed while the stack unwinds runs before the steps below it', async () => {
  const { log } = capture();
  const stack = createShutdownStack(log);
  const ran: string[] = [];
  stack.push('store', () => void ran.push('store'));
  stack.push('engine', () => {
    ran.push('engine');
    stack.push('late unit', () => void ran.push('late unit'));
  });
  await stack.close();
  assert.deepEqual(ran, ['engine', 'late unit', 'store']);
});
