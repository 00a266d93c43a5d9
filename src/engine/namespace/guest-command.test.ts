import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ancestors, customerUid, guestCommand, UID_BASE, UID_SPAN } from './guest-command.ts';
import { parseSubnet } from './subnet.ts';

const input = {
  vs: 'blog-1', uid: 212_345, gid: 212_345, cgroupDirs: ['/cg/memory/x'], netnsPath: '/run/netns/corral0-blog-1',
  releaseDir: '/e/releases/abc', dataDir: '/e/data/blog', etcFiles: { hosts: '/e/run/blog-1/etc/hosts' }, tmpBytes: 1000,
  readOnly: ['/work/main/src'], rootLinks: { '/lib': 'usr/lib', '/lib64': null }, file: '/bin/sh', args: ['-c', 'node server.js'],
  argsFile: '/e/run/blog-1/bwrap.args', seccompFile: '/e/run/.seccomp.bpf',
};

test('the guest command: cgroups joined, netns entered, namespaces unshared, ids dropped, the command last', () => {
  const { argv, bwrapArgs } = guestCommand(input);
  assert.deepEqual(argv.slice(0, 2), ['/bin/bash', '-c']);
  assert.deepEqual(argv.slice(3, 6), ['corral-guest', '/e/run/blog-1/bwrap.args', '/e/run/.seccomp.bpf'], 'the prelude opens the options as fd 3, the filter as fd 4');
  const joined = [...argv, ...bwrapArgs].join(' ');
  for (const part of ['nsenter --net=/run/netns/corral0-blog-1 -- bwrap --args 3 -- /usr/bin/setpriv', '--seccomp 4', '--unshare-pid --unshare-uts --unshare-ipc', '--hostname blog-1', '--die-with-parent', '--new-session',
    '--ro-bind /usr /usr', '--symlink usr/lib /lib', '--ro-bind-try /lib64 /lib64', '--ro-bind /e/releases/abc /srv/release', '--bind /e/data/blog /srv/data',
    '--perms 1777 --size 1000 --tmpfs /tmp', '--ro-bind /work/main/src /work/main/src', '--perms 0755 --dir /work/main', '--ro-bind /e/run/blog-1/etc/hosts /etc/hosts',
    '/usr/bin/setpriv --reuid 212345 --regid 212345 --clear-groups --bounding-set=-all --inh-caps=-all --no-new-privs /bin/sh -c node server.js']) {
    assert.ok(joined.includes(part), `has ${part}`);
  }
  assert.ok(!bwrapArgs.includes('--unshare-net'), 'the network namespace is the named one, entered by nsenter');
  assert.ok(!joined.includes('--bind / '), 'never the host root');
  const bwrapArgv = argv.slice(argv.indexOf('bwrap'));
  assert.ok(!bwrapArgv.some((a) => a.startsWith('/e/') || a.startsWith('/work/')), `bwrap's own argv (the guest's /proc/1/cmdline) has no host path: ${bwrapArgv.join(' ')}`);
  assert.ok(!guestCommand({ ...input, seccompFile: undefined }).bwrapArgs.includes('--seccomp'), 'no filter, no --seccomp');
});

test('a repo under /tmp stays visible: the private /tmp is mounted before the folders made inside it', () => {
  const argv = guestCommand({ ...input, readOnly: ['/tmp/ci/src'] }).bwrapArgs;
  const tmpfs = argv.indexOf('--tmpfs');
  const dir = argv.findIndex((a, i) => a === '/tmp/ci' && argv[i - 1] === '--dir');
  const bind = argv.findIndex((a, i) => a === '/tmp/ci/src' && argv[i - 1] === '--ro-bind');
  assert.ok(tmpfs > 0 && dir > tmpfs && bind > dir, `tmpfs ${tmpfs} < dir ${dir} < bind ${bind}`);
  assert.equal(argv[dir - 2], '0755', 'made readable to the guest uid');
});

test('customer uids are stable, distinct per customer, and in the unprivileged range', () => {
  assert.equal(customerUid('acme'), customerUid('acme'));
  assert.notEqual(customerUid('acme'), customerUid('globex'));
  for (const c of ['a', 'b', 'c', 'acme']) assert.ok(customerUid(c) >= UID_BASE && customerUid(c) < UID_BASE + UID_SPAN);
  assert.deepEqual(ancestors(['/work/main/src', '/usr/lib/x', '/opt/node']), ['/work', '/opt', '/work/main']);
});

test('the guest subnet: gateway first, guests after, addresses reused, bad CIDRs refused', () => {
  const s = parseSubnet('10.213.0.0/29');
  assert.equal(s.gateway, '10.213.0.1');
  const got = [s.acquire(), s.acquire(), s.acquire(), s.acquire(), s.acquire()];
  assert.deepEqual(got, ['10.213.0.2', '10.213.0.3', '10.213.0.4', '10.213.0.5', '10.213.0.6']);
  assert.throws(() => s.acquire(), { code: 'ENGINE_ADDRESSES_EXHAUSTED' });
  s.release('10.213.0.4');
  assert.equal(s.acquire(), '10.213.0.4');
  for (const bad of ['10.213.0.0', '10.213.0.1/24', '300.1.1.0/24', '10.0.0.0/30', 'x']) assert.throws(() => parseSubnet(bad), { code: 'ENGINE_INVALID_SUBNET' });
});
