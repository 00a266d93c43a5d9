import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment } from '../model/index.ts';
import { specLimits, toSpec } from './vs-unit.ts';

test('an assignment\'s resources become the runtime spec\'s limits (MiB → bytes, cores → CPUs), egress travels', () => {
  const a: Assignment = {
    vs: 'blog-1', engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'a'.repeat(64),
    healthPath: '/', env: {}, domains: ['blog.test'], createdAt: '',
    resources: { memoryMb: 256, cpu: 0.5, pids: 128, diskMb: 512 }, egress: 'engine',
  };
  const spec = toSpec('/engine', a, '/engine/releases/x');
  assert.deepEqual(spec.limits, { memoryBytes: 256 * 2 ** 20, cpuQuota: 0.5, pidsMax: 128, diskBytes: 512 * 2 ** 20 });
  assert.equal(spec.egress, 'engine');
  assert.deepEqual(specLimits({ tmpMb: 8 }), { tmpBytes: 8 * 2 ** 20 }, 'absent fields stay absent: the engine defaults fill them');
  const { resources: _r, egress: _e, ...plain } = a;
  const bare = toSpec('/engine', plain, '/r');
  assert.equal(bare.limits, undefined, 'no resources: the engine defaults');
  assert.equal(bare.egress, undefined);
});
