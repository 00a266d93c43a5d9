import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitsText, poolText, releaseText } from './vs-columns.ts';

test('vs list limits: per-site values as given, the process runtime says it enforces none', () => {
  assert.equal(limitsText({ runtime: 'namespace', limits: { memoryBytes: 256 * 2 ** 20, cpuWeight: 100, cpuQuota: 0.5, pidsMax: 128, diskBytes: 512 * 2 ** 20 } }),
    'mem 256M cpu 0.5×w100 pids 128 disk 512M');
  assert.equal(limitsText({ runtime: 'process' }), 'not enforced (process runtime)');
  assert.equal(limitsText({ runtime: 'namespace', notEnforced: ['seccomp'], limits: { memoryBytes: 2 ** 28, cpuWeight: 100, cpuQuota: 1, pidsMax: 128, diskBytes: 2 ** 30 } }),
    'mem 256M cpu 1×w100 pids 128 disk 1024M; not enforced: seccomp', 'a protection the engine could not apply is named');
  assert.equal(limitsText({}), undefined, 'not yet reported');
});

test('vs list: a pool VS shows its sites (short in RELEASE, each with its release under --wide); a site not loaded yet shows …', () => {
  const pool = { release: 'pool', pool: ['docs', 'blog', 'shop', 'wiki'], sites: { blog: 'v2', docs: 'v1', shop: 'v7' } };
  assert.equal(releaseText(pool), 'pool: blog docs shop +1');
  assert.equal(poolText(pool), 'blog@v2 docs@v1 shop@v7 wiki@…');
  assert.equal(releaseText({ release: 'pool', pool: [] }), 'pool: (no sites)');
  assert.equal(releaseText({ release: 'v3' }), 'v3');
  assert.equal(poolText({ release: 'v3' }), undefined);
});
