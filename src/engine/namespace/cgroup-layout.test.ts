import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS, detectLayout, distinct, limitWrites, parseCpuUsec, parseOomKills, statFiles, vsDirs } from './cgroup-layout.ts';

const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const V1_SELF = `8:pids:/
4:memory:/process_api/abc
2:cpuacct:/
1:cpu:/
0::/`;
const V2_MOUNTINFO = `30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

test('cgroup v1 (hybrid with an unused unified mount): per-controller dirs, own group per controller', () => {
  const l = detectLayout(V1_MOUNTINFO, V1_SELF)!;
  assert.equal(l.version, 1);
  assert.equal(l.own.memory, '/sys/fs/cgroup/memory/process_api/abc');
  assert.equal(l.own.pids, '/sys/fs/cgroup/pids');
  assert.equal(l.mounts.cpuacct, '/sys/fs/cgroup/cpuacct');
  const dirs = vsDirs(l.own, 'corral0', 'blog-1');
  assert.equal(dirs.memory, '/sys/fs/cgroup/memory/process_api/abc/corral/corral0/blog-1');
  assert.equal(distinct(dirs).length, 4);
});

test('cgroup v1 with co-mounted cpu,cpuacct shares one directory', () => {
  const l = detectLayout(V1_MOUNTINFO.replace(/\n33 .*/, '').replace('rw,cpu\n', 'rw,cpu,cpuacct\n'), V1_SELF)!;
  assert.equal(l.mounts.cpu, l.mounts.cpuacct);
  assert.equal(distinct(vsDirs(l.mounts, 'corral0', 'x')).length, 3);
});

test('cgroup v2: one unified directory for every controller; a container root is honoured', () => {
  const l = detectLayout(V2_MOUNTINFO, '0::/system.slice/corral.service\n')!;
  assert.equal(l.version, 2);
  assert.equal(l.own.memory, '/sys/fs/cgroup/system.slice/corral.service');
  assert.deepEqual(distinct(vsDirs(l.mounts, 'corral0', 'blog-1')), ['/sys/fs/cgroup/corral/corral0/blog-1']);
  const inContainer = detectLayout(V2_MOUNTINFO.replace(' / /sys/fs/cgroup', ' /kubepods/pod1 /sys/fs/cgroup'), '0::/kubepods/pod1/app\n')!;
  assert.equal(inContainer.own.pids, '/sys/fs/cgroup/app');
  assert.equal(detectLayout('', ''), undefined, 'no cgroups at all');
});

test('limit files for v1 and v2', () => {
  const l = { ...DEFAULT_LIMITS, memoryBytes: 64 * 2 ** 20, cpuWeight: 200, cpuQuota: 0.5, pidsMax: 40 };
  const v1 = Object.fromEntries(limitWrites(1, l).map((w) => [w.file, w.value]));
  assert.deepEqual(v1, {
    'memory.limit_in_bytes': '67108864', 'memory.memsw.limit_in_bytes': '67108864', 'cpu.shares': '2048',
    'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '50000', 'pids.max': '40',
  });
  const v2 = Object.fromEntries(limitWrites(2, l).map((w) => [w.file, w.value]));
  assert.deepEqual(v2, { 'memory.max': '67108864', 'memory.swap.max': '0', 'cpu.weight': '200', 'cpu.max': '50000 100000', 'pids.max': '40' });
  assert.equal(limitWrites(2, { ...l, cpuQuota: 0 }).find((w) => w.file === 'cpu.max')!.value, 'max 100000');
  assert.equal(limitWrites(1, { ...l, cpuQuota: 0 }).find((w) => w.file === 'cpu.cfs_quota_us')!.value, '-1');
  assert.ok(limitWrites(1, l).filter((w) => w.optional).every((w) => w.file.includes('memsw')));
});

test('OOM kills and CPU time are parsed from either version', () => {
  assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), 2);
  assert.equal(parseOomKills('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n'), 1);
  assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\n'), 0, 'old v1 kernels: no counter');
  assert.equal(parseCpuUsec(1, '1500000\n'), 1500);
  assert.equal(parseCpuUsec(2, 'usage_usec 2500\nuser_usec 2000\n'), 2500);
  assert.deepEqual(statFiles(1).oom, ['memory', 'memory.oom_control']);
  assert.deepEqual(statFiles(2).oom, ['memory', 'memory.events']);
});
