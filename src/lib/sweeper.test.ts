// The sweeper's timer (sweeper.ts): a pass every intervalMs ± JITTER, each period drawn
// anew, so two sweepers started together drift apart; kicks coalesce; close stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSweeper, JITTER } from './sweeper.ts';

const failOn = (err: unknown): void => assert.fail(String(err));
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

test('each period is intervalMs ± JITTER, drawn anew for each; two sweepers started together drift apart', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const interval = 10_000;
  const debounce = 200;
  const draws = [0, 0.999999, 0.5]; // the shortest period, the longest, the middle
  let at = 0;
  const passes: number[] = [];
  const sweeper = createSweeper({ intervalMs: interval, debounceMs: debounce, pass: async () => void passes.push(at), onError: failOn, random: () => draws.shift() ?? 0.5 });
  const plain: number[] = [];
  const other = createSweeper({ intervalMs: interval, debounceMs: debounce, pass: async () => void plain.push(at), onError: failOn, random: () => 0.5 });
  t.after(async () => {
    await sweeper.close();
    await other.close();
  });
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i += 100) {
      at += 100;
      t.mock.timers.tick(100);
      await flush();
    }
  };
  await advance(40_000);
  const short = interval * (1 - JITTER) + debounce;
  const long = short + interval * (1 + JITTER);
  assert.deepEqual(passes.slice(0, 3), [short, long, long + interval], 'periods of 9 s, 11 s, then 10 s (each plus the debounce)');
  assert.deepEqual(plain.slice(0, 3), [interval + debounce, 2 * interval + debounce, 3 * interval + debounce]);
});

test('kicks during the debounce coalesce into one pass; close stops the timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let passes = 0;
  const sweeper = createSweeper({ intervalMs: 60_000, debounceMs: 200, pass: async () => void passes++, onError: failOn });
  sweeper.kick();
  sweeper.kick();
  t.mock.timers.tick(200);
  await flush();
  assert.equal(passes, 1);
  await sweeper.close();
  t.mock.timers.tick(200_000);
  await flush();
  assert.equal(passes, 1, 'no pass after close');
});

test('a period longer than node\'s longest timer (≈ 24.8 days) is waited out whole, with no jitter when asked for none', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const hour = 3600_000;
  let passes = 0;
  const sweeper = createSweeper({ intervalMs: 30 * 24 * hour, debounceMs: 0, jitter: 0, pass: async () => void passes++, onError: failOn });
  t.after(() => sweeper.close());
  const hours = async (n: number) => {
    for (let h = 0; h < n; h++) {
      t.mock.timers.tick(hour);
      await flush();
    }
  };
  await hours(30 * 24 - 1);
  assert.equal(passes, 0, 'not before 30 days (a 30-day timeout given to node fires at once)');
  await hours(2);
  assert.equal(passes, 1, 'at 30 days');
});
