// The autoscaling rule on a simulated clock: a load ramp scales out within the panic
// window and back in only after a stable window, never past the bounds; idle → zero,
// a wake → one; the plan's count for autoscaled and fixed sites.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Autoscale, Site } from '../model/index.ts';
import { decideReplicas, desiredReplicas, initialReplicas, type LoadSample } from './autoscale-rule.ts';

const TIMING = { panicWindowMs: 6_000, stableWindowMs: 60_000 };

/** Runs the rule once a second over a load curve (concurrency per second); the count after each second. */
function simulate(a: Autoscale, load: (second: number) => number, seconds: number, opts: { idleFrom?: number } = {}): { counts: number[]; reasons: string[] } {
  let current = initialReplicas(a);
  let samples: LoadSample[] = [];
  let lastActiveAt = 0;
  const counts: number[] = [];
  const reasons: string[] = [];
  for (let s = 0; s < seconds; s++) {
    const now = s * 1000;
    const c = load(s);
    if (c > 0 || opts.idleFrom === undefined || s < opts.idleFrom) lastActiveAt = now;
    samples.push({ at: now, concurrency: c });
    samples = samples.filter((x) => x.at > now - 61_000);
    const d = decideReplicas({ autoscale: a, current, samples, lastActiveAt, woken: false, now }, TIMING);
    if (d) {
      current = d.replicas;
      reasons.push(`${s}s: ${d.reason}`);
      samples = samples.slice(-1);
    }
    counts.push(current);
  }
  return { counts, reasons };
}

describe('autoscale rule', () => {
  const a: Autoscale = { minReplicas: 1, maxReplicas: 4, targetConcurrency: 10 };

  it('a ramp to 35 in flight scales out to 4 within the panic window, and caps at max', () => {
    const { counts, reasons } = simulate(a, (s) => (s < 10 ? 0 : 35), 30);
    assert.equal(counts[9], 1);
    const reached = counts.findIndex((n) => n === 4);
    assert.ok(reached >= 10 && reached <= 10 + 6, `4 replicas ${reached - 10} s after the ramp (${reasons.join('; ')})`);
    assert.ok(counts.every((n) => n >= 1 && n <= 4), counts.join(','));
  });

  it('a heavier load never goes past maxReplicas', () => {
    const { counts } = simulate(a, () => 10_000, 20);
    assert.equal(Math.max(...counts), 4);
  });

  it('after the load falls, scales in only once a whole stable window was quieter, never below min', () => {
    const { counts, reasons } = simulate(a, (s) => (s < 20 ? 35 : s < 200 ? 2 : 0), 260);
    const down = counts.findIndex((n, i) => i > 20 && n < 4);
    // the last busy second is 19: from 20 on, 60 quiet one-second samples make the window
    assert.ok(down >= 19 + 60 && down <= 20 + 61, `scaled in ${down - 20} s after the load fell (${reasons.join('; ')})`);
    assert.equal(counts.at(-1), 1, 'back to min');
    assert.ok(counts.every((n) => n >= 1), 'never below min');
  });

  it('a spike inside the stable window holds the count', () => {
    const { counts } = simulate(a, (s) => (s < 10 ? 30 : s === 50 ? 30 : 1), 100);
    const at = (s: number) => counts[s]!;
    assert.equal(at(40), 3);
    assert.equal(at(100 - 1) <= 3, true);
    assert.ok(counts.slice(10, 50 + 60).every((n) => n === 3), 'no scale-in while a busy second is inside the window');
  });

  it('scale to zero: no request for the idle timeout → 0; load alone never stops the last server', () => {
    const z: Autoscale = { minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 30_000 };
    assert.equal(initialReplicas(z), 1);
    const busy = simulate(z, () => 0, 100); // no idleFrom: active every second (requests below one in flight)
    assert.ok(busy.counts.every((n) => n === 1));
    const idle = simulate(z, () => 0, 100, { idleFrom: 10 });
    const zero = idle.counts.indexOf(0);
    // last request at 9 s
    assert.ok(zero >= 9 + 30 && zero <= 9 + 31, `idle after ${zero} s (${idle.reasons.join('; ')})`);
    assert.match(idle.reasons[0]!, /no request for 30s \(idle timeout 30s\)/);
  });

  it('a wake from zero → max(1, min), at once; load seen at zero wakes too', () => {
    const z: Autoscale = { minReplicas: 0, maxReplicas: 3, targetConcurrency: 1 };
    const woke = decideReplicas({ autoscale: z, current: 0, samples: [], lastActiveAt: 0, woken: true, now: 1000 });
    assert.deepEqual(woke && woke.replicas, 1);
    assert.match(woke!.reason, /woken/);
    const loaded = decideReplicas({ autoscale: z, current: 0, samples: [{ at: 1000, concurrency: 2.5 }], lastActiveAt: 1000, woken: false, now: 1000 });
    assert.equal(loaded?.replicas, 3);
    assert.equal(decideReplicas({ autoscale: z, current: 0, samples: [{ at: 1000, concurrency: 0 }], lastActiveAt: 0, woken: false, now: 1000 }), undefined);
    const deployed = decideReplicas({ autoscale: z, current: 0, samples: [], lastActiveAt: 0, woken: true, wakeReason: 'release v2 to roll out', now: 1000 });
    assert.deepEqual(deployed, { replicas: 1, reason: 'release v2 to roll out' });
  });

  it('a count outside changed bounds is brought inside them', () => {
    assert.equal(decideReplicas({ autoscale: { minReplicas: 2, maxReplicas: 3 }, current: 5, samples: [], lastActiveAt: 0, woken: false, now: 0 })?.replicas, 3);
    assert.equal(decideReplicas({ autoscale: { minReplicas: 2, maxReplicas: 3 }, current: 1, samples: [], lastActiveAt: 0, woken: false, now: 0 })?.replicas, 2);
  });

  it("the plan's count: the site's own replicas without autoscaling, the decision (bounded) with, the start count without a decision", () => {
    const site = { name: 'web', id: '0abc', replicas: 3 } as Site;
    assert.equal(desiredReplicas(site, undefined), 3);
    const auto = { ...site, autoscale: { minReplicas: 0, maxReplicas: 5 } };
    assert.equal(desiredReplicas(auto, undefined), 1);
    const rec = { site: 'web', siteId: '0abc', replicas: 4, reason: '', at: '', lastActiveAt: 0 };
    assert.equal(desiredReplicas(auto, rec), 4);
    assert.equal(desiredReplicas({ ...auto, autoscale: { minReplicas: 0, maxReplicas: 2 } }, rec), 2);
    assert.equal(desiredReplicas(auto, { ...rec, siteId: '0def' }), 1, "another site's decision (same name, re-created) does not count");
  });
});
