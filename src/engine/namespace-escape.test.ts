// Escapes a hostile customer's code may try from inside a namespace guest, each tried
// from a real guest: IPv6 to the engine over the bridge's link, a file descriptor the
// agent inherited, new user namespaces and risky syscalls (the seccomp filter), and
// host paths read through /proc.

import assert from 'node:assert/strict';
import { spawn, type StdioOptions } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { run } from './namespace/host-command.ts';
import { buildSeccompFilter } from './namespace/seccomp.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import type { Runtime, VsSpec } from './runtime.ts';
import { appSpec, httpGet, onCleanup, readVsLog, TEST_APP_COMMAND, tempDir, writeTestRelease } from './testing.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const CHILD = fileURLToPath(new URL('./namespace/escape-child.ts', import.meta.url));

const skip = await namespaceSkip();
const seccompSkip = skip || (await seccompUnavailable());

async function seccompUnavailable(): Promise<string | false> {
  const dir = await mkdtemp(path.join(tmpdir(), 'corral-seccomp-'));
  try {
    const filter = await buildSeccompFilter(dir);
    return filter.file ? false : `the seccomp filter cannot be built here: ${filter.reason}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asks for syscalls by number (python3's ctypes), printing `SYSCALL <name> ok|<errno name>` for each. */
const SYSCALL_PROBE = `
import ctypes, errno, os
NR = {"x86_64": {"getpid": 39, "keyctl": 250, "unshare": 272, "perf_event_open": 298, "bpf": 321},
      "aarch64": {"getpid": 172, "keyctl": 219, "unshare": 97, "perf_event_open": 241, "bpf": 280}}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(NR[name], *[ctypes.c_long(a) for a in args])
    print("SYSCALL", name, "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), "?"), flush=True)
call("getpid")
call("keyctl", 0, -3, 1)          # KEYCTL_GET_KEYRING_ID of the session keyring, created if missing
call("unshare", 0x10000000)       # CLONE_NEWUSER
call("perf_event_open", 0, 0, -1, -1, 0)
call("bpf", 0, 0, 0)
`;

const PROBES = `/usr/bin/unshare -Ur true 2>/dev/null && echo "UNSHARE-USER allowed" || echo "UNSHARE-USER refused"; /usr/bin/python3 -I probe.py`;

async function setup(t: TestContext) {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'), { 'probe.py': SYSCALL_PROBE });
  const network = await testNetwork(t);
  const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...network });
  onCleanup(t, () => runtime.destroy());
  return { base, runtime, network };
}

async function serving(runtime: Runtime, spec: VsSpec) {
  const vs = await runtime.start(spec);
  await waitFor(() => httpGet(vs.address, vs.port), { what: `guest ${spec.name}` });
  return vs;
}

test('IPv6: no TCP or UDP from a guest reaches an engine listener on [::] by a link-local address, whatever its egress', { skip }, async (t) => {
  const { base, runtime, network } = await setup(t);
  const peers: string[] = [];
  const tcp = net.createServer((s) => {
    peers.push(`tcp ${s.remoteAddress}`);
    s.destroy();
  });
  await new Promise<void>((r) => tcp.listen({ host: '::', port: 0 }, r));
  onCleanup(t, () => new Promise((r) => tcp.close(r)));
  const udp = dgram.createSocket('udp6');
  udp.on('message', (_m, from) => peers.push(`udp ${from.address}`));
  await new Promise<void>((r) => udp.bind({ address: '::', port: 0 }, r));
  onCleanup(t, () => new Promise<void>((r) => udp.close(() => r())));
  const tcpPort = (tcp.address() as net.AddressInfo).port;
  const udpPort = udp.address().port;

  await serving(runtime, appSpec(base, 'v6-none'));
  const eng = await serving(runtime, { ...appSpec(base, 'v6-eng'), egress: 'engine' });
  // Addresses still in duplicate address detection cannot be used yet: wait until none is left (with IPv6 off there is none).
  const tentative = async (args: string[]) => (await run('ip', [...args, '-6', '-o', 'addr', 'show', 'tentative'], { allowFail: true })).stdout.trim();
  await waitFor(async () => !(await tentative([])) && !(await tentative(['-n', `${network.bridge}-v6-none`])) && !(await tentative(['-n', `${network.bridge}-v6-eng`])),
    { what: 'IPv6 addresses out of duplicate address detection' });
  const { targets, links } = await linkLocalTargets(network.bridge);
  assert.equal(links.length, 3, `the bridge and both guests' veths: ${links.join(' ')}`);
  const gateway = network.subnet.replace(/0\/\d+$/, '1');
  for (const vs of ['v6-none', 'v6-eng']) {
    const res = await runtime.exec!(vs, [process.execPath, '-e', NET_PROBE, JSON.stringify({ targets: targets.map((a) => `${a}%eth0`), tcpPort, udpPort })]);
    const results = JSON.parse(res.stdout || '{}') as Record<string, string>;
    assert.equal(Object.keys(results).length, targets.length * 2, `every probe ran: ${res.stdout}${res.stderr}`);
    for (const [probe, outcome] of Object.entries(results)) {
      assert.notEqual(outcome, 'OPEN', `${vs}: ${probe} connected`);
      assert.ok(outcome !== 'SENT' || probe.startsWith('udp'), `${vs}: ${probe}`);
    }
  }
  // The control: IPv4 to the bridge address is allowed with egress 'engine', reaches both
  // listeners, and arrives after any IPv6 datagram sent before it would have.
  const control = await runtime.exec!('v6-eng', [process.execPath, '-e', NET_PROBE, JSON.stringify({ targets: [gateway], tcpPort, udpPort })]);
  assert.deepEqual(JSON.parse(control.stdout), { [`tcp ${gateway}`]: 'OPEN', [`udp ${gateway}`]: 'SENT' }, control.stderr);
  await waitFor(() => peers.includes(`udp ::ffff:${eng.address}`), { what: 'the IPv4 control datagram' });
  assert.deepEqual(peers.filter((p) => !p.includes('::ffff:')), [], 'nothing arrived over IPv6');
});

test('a file descriptor the agent inherited (fd 100, not close-on-exec) is closed in the guest and in vs exec', { skip }, async (t) => {
  const base = await tempDir(t);
  const network = await testNetwork(t);
  const secret = path.join(base, 'host-secret');
  await writeFile(secret, '', { mode: 0o600 });
  const fd = openSync(secret, 'r+');
  onCleanup(t, () => closeSync(fd));
  // Builtins only, so that the shell's own fds are listed (a redirection would add its saved copies).
  const probe = `fds=; for f in /proc/$$/fd/*; do fds="$fds \${f##*/}"; done; echo "FDS$fds"; /bin/bash -c 'echo pwned >&100' 2>/dev/null && echo FD100-WRITTEN`;
  const command = `${probe}; echo PROBE-END; ${TEST_APP_COMMAND}`;
  // The agent runs in a child whose fd 100 is the open secret (a dup2 clears close-on-exec).
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(97).fill('ignore'), fd];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ base, ...network, command, exec: probe })], { cwd: REPO, stdio });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 0, err);
  assert.match(out, /^FDS 0 1 2 3$/m, `the guest's command holds only stdin, stdout, stderr (and 3, the listing's own directory): ${out}`);
  assert.match(out, /^EXEC FDS 0 1 2 3$/m, `so does a vs exec: ${out}`);
  assert.doesNotMatch(out, /FD100-WRITTEN/);
  assert.equal(readFileSync(secret, 'utf8'), '', 'the secret file was not written');
});

test('seccomp: new user namespaces, the keyring, perf and bpf are refused to the guest and to vs exec; the app still serves', { skip: seccompSkip }, async (t) => {
  const { base, runtime } = await setup(t);
  const spec = { ...appSpec(base, 'sc-a'), command: `${PROBES}; echo PROBE-END; ${TEST_APP_COMMAND}` };
  await serving(runtime, spec);
  const log = await waitFor(async () => {
    const text = await readVsLog(spec.logFile);
    return text.includes('PROBE-END') && text;
  }, { what: 'the probe in the guest command' });
  const exec = await runtime.exec!('sc-a', ['/bin/sh', '-c', PROBES]);
  assert.equal((await runtime.inspect!('sc-a'))!.notEnforced, undefined, 'inspect names nothing as not enforced');
  for (const [who, text] of [['guest', log], ['vs exec', exec.stdout]] as const) {
    assert.match(text, /^SYSCALL getpid ok$/m, `${who}: the probe runs: ${text}${who === 'vs exec' ? exec.stderr : ''}`);
    assert.match(text, /^UNSHARE-USER refused$/m, `${who}: unshare -Ur`);
    for (const call of ['keyctl', 'unshare', 'perf_event_open', 'bpf']) assert.match(text, new RegExp(`^SYSCALL ${call} EPERM$`, 'm'), `${who}: ${call}`);
  }
  const forks = await runtime.exec!('sc-a', ['/bin/sh', '-c', 'echo $(echo a) | cat']);
  assert.equal(forks.stdout, 'a\n', 'fork and exec still work (clone3 falls back to clone)');
});

test('without a seccomp filter (library missing) the guest still starts, and inspect says seccomp is not enforced', { skip }, async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...(await testNetwork(t)), seccomp: { reason: 'python3-seccomp is missing' } });
  onCleanup(t, () => runtime.destroy());
  await serving(runtime, appSpec(base, 'nosc-a'));
  assert.deepEqual((await runtime.inspect!('nosc-a'))!.notEnforced, ['seccomp']);
  const res = await runtime.exec!('nosc-a', ['/bin/sh', '-c', 'grep ^Seccomp: /proc/self/status']);
  assert.match(res.stdout, /^Seccomp:\s+0$/m, 'no filter, as said');
});

test('/proc in a guest shows no host path: pid 1, the app, vs exec, their environment', { skip }, async (t) => {
  const { base, runtime } = await setup(t);
  await serving(runtime, appSpec(base, 'proc-a'));
  const res = await runtime.exec!('proc-a', ['/bin/sh', '-c',
    'for p in /proc/[0-9]*; do echo "$p: $(tr "\\0" " " < $p/cmdline 2>/dev/null) $(tr "\\0" " " < $p/environ 2>/dev/null)"; done']);
  assert.match(res.stdout, /^\/proc\/1: bwrap /m, `pid 1 is read: ${res.stdout}`);
  assert.match(res.stdout, /server\.cjs/, 'the app is read');
  for (const hostPath of [base, REPO, '/run/netns', '/sys/fs/cgroup']) assert.ok(!res.stdout.includes(hostPath), `${hostPath} shows in /proc:\n${res.stdout}`);
});

/**
 * Run in a guest with JSON { targets, tcpPort, udpPort }: a TCP connect and a UDP
 * datagram to each target; prints { "tcp <t>": OPEN|TIMEOUT|<code>, "udp <t>": SENT|<code> }.
 */
const NET_PROBE = `
const net = require('net'), dgram = require('dgram');
const { targets, tcpPort, udpPort } = JSON.parse(process.argv[1]);
const out = {};
const tcp = (a) => new Promise((r) => {
  const s = net.connect({ host: a, port: tcpPort });
  s.setTimeout(1500);
  s.on('connect', () => { out['tcp ' + a] = 'OPEN'; s.destroy(); r(); });
  s.on('timeout', () => { out['tcp ' + a] = 'TIMEOUT'; s.destroy(); r(); });
  s.on('error', (e) => { out['tcp ' + a] = e.code; r(); });
});
const udp = (a) => new Promise((r) => {
  const u = dgram.createSocket(a.includes(':') ? 'udp6' : 'udp4');
  const done = (v) => { out['udp ' + a] = v; u.close(); r(); };
  u.on('error', (e) => done(e.code));
  u.send('probe', udpPort, a, (e) => done(e ? e.code : 'SENT'));
});
Promise.all(targets.flatMap((a) => [tcp(a), udp(a)])).then(() => console.log(JSON.stringify(out)));
`;

/** fe80:: addresses of the bridge and its ports: those they hold, and the EUI-64 one of each MAC. */
async function linkLocalTargets(bridge: string): Promise<{ targets: string[]; links: string[] }> {
  const ports = (await run('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.split('\n').map((l) => /^\d+: ([^@:]+)/.exec(l)?.[1]).filter((n): n is string => !!n);
  const out = new Set<string>();
  for (const dev of [bridge, ...ports]) {
    const held = (await run('ip', ['-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link'], { allowFail: true })).stdout;
    for (const m of held.matchAll(/inet6 (fe80::[0-9a-f:]+)\//g)) out.add(m[1]!);
    out.add(eui64((await readFile(`/sys/class/net/${dev}/address`, 'utf8')).trim()));
  }
  return { targets: [...out], links: [bridge, ...ports] };
}

function eui64(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const w = [((b[0]! ^ 2) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}
