// --min-replicas, --max-replicas, --target-concurrency, --idle-timeout, --autoscale off:
// merged with the stored setting, hostile values refused before the API is asked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { autoscaleBody, idleTimeoutMs, scaleInWindowMs } from './autoscale-flags.ts';

describe('autoscale flags (CLI)', () => {
  it('merge into the stored setting; max defaults to the current replicas; off turns it off', () => {
    assert.deepEqual(autoscaleBody({ minReplicas: '0', idleTimeout: '5m' }, { replicas: 3 }), { minReplicas: 0, idleTimeoutMs: 300_000, maxReplicas: 3 });
    const stored = { replicas: 1, autoscale: { minReplicas: 0, maxReplicas: 4, idleTimeoutMs: 60_000 } };
    assert.deepEqual(autoscaleBody({ targetConcurrency: '20' }, stored), { minReplicas: 0, maxReplicas: 4, idleTimeoutMs: 60_000, targetConcurrency: 20 });
    assert.deepEqual(autoscaleBody({ minReplicas: '2' }, stored), { minReplicas: 2, maxReplicas: 4 }, 'no idle timeout without scale to zero');
    assert.deepEqual(autoscaleBody({ autoscale: 'off' }, stored), {});
  });

  it('refuse hostile values before asking the API', () => {
    assert.throws(() => autoscaleBody({ minReplicas: '-1' }, undefined), /--min-replicas must be a whole number/);
    assert.throws(() => autoscaleBody({ maxReplicas: 'lots' }, undefined), /--max-replicas must be a whole number/);
    assert.throws(() => autoscaleBody({ targetConcurrency: '1e3x' }, undefined), /--target-concurrency/);
    assert.throws(() => autoscaleBody({ autoscale: 'on' }, undefined), /--autoscale takes off/);
    assert.throws(() => autoscaleBody({ autoscale: 'off', maxReplicas: '2' }, undefined), /give no other autoscaling flag/);
    assert.throws(() => idleTimeoutMs('5 minutes'), /--idle-timeout must be a duration/);
    assert.throws(() => idleTimeoutMs('-5m'), /--idle-timeout/);
    assert.equal(idleTimeoutMs('90'), 90_000);
    assert.equal(idleTimeoutMs('1h'), 3_600_000);
    assert.equal(scaleInWindowMs('60s'), 60_000);
    assert.equal(scaleInWindowMs('2m'), 120_000);
    for (const bad of ['0', '500ms', '2h', 'soon', '-1s']) assert.throws(() => scaleInWindowMs(bad), /--scale-in-window must be a duration from 1s to 60m/, bad);
  });
});
