import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { onCleanup } from '../testing.ts';
import { run } from './host-command.ts';
import { guestNetwork } from './network.ts';
import { parseSubnet } from './subnet.ts';
import { namespaceSkip, testNetwork } from './testing.ts';

const skip = await namespaceSkip();

async function bridgeNetwork(t: import('node:test').TestContext) {
  const net = await testNetwork(t);
  const subnet = parseSubnet(net.subnet);
  const network = guestNetwork(net.bridge, subnet);
  await network.ensureBridge();
  return { network, subnet, bridge: net.bridge };
}

const inNs = (ns: string, cmd: string) => run('ip', ['netns', 'exec', ns, '/bin/sh', '-c', cmd]).then((r) => r.stdout.trim());

test('attach: eth0 with its address, lo up, the veth isolated on the bridge, IPv6 off on both ends, egress rules', { skip }, async (t) => {
  const { network, subnet, bridge } = await bridgeNetwork(t);
  const address = subnet.acquire();
  onCleanup(t, () => network.detach('net-a'));
  const path = await network.attach('net-a', address, { egress: 'none', port: 8080 });
  const ns = network.netnsName('net-a');
  const veth = network.vethName('net-a');
  assert.equal(path, `/run/netns/${ns}`);
  assert.ok(existsSync(path));

  const hostLink = (await run('ip', ['-d', 'link', 'show', 'dev', veth])).stdout;
  assert.match(hostLink, new RegExp(`master ${bridge} `));
  assert.match(hostLink, /state UP|,UP/);
  assert.match(hostLink, /isolated on/);
  assert.equal((await run('cat', [`/proc/sys/net/ipv6/conf/${veth}/disable_ipv6`])).stdout.trim(), '1');
  assert.doesNotMatch((await run('ip', ['addr', 'show', 'dev', veth])).stdout, /inet6/);

  assert.equal(await inNs(ns, 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6 /proc/sys/net/ipv6/conf/eth0/disable_ipv6 | tr "\\n" " "'), '1 1 1');
  const addrs = await inNs(ns, 'ip -o addr show');
  assert.match(addrs, new RegExp(`eth0\\s+inet ${address.replace(/\./g, '\\.')}/${subnet.prefix}`));
  assert.doesNotMatch(addrs, /inet6/);
  assert.match(await inNs(ns, 'ip -o link show lo'), /UP/);
  const rules = await inNs(ns, 'ip rule show');
  assert.match(rules, /^100:.*ipproto tcp sport 8080 lookup main/m);
  assert.doesNotMatch(rules, /^3276[67]:/m);
  // the guest reaches the engine's bridge address only as replies (no route for its own connections)
  assert.match((await run('ip', ['netns', 'exec', ns, 'ip', 'route', 'get', subnet.gateway], { allowFail: true })).stderr, /unreachable/i);
});

test('attach again over a leftover netns and veth of the same VS replaces them; detach leaves nothing', { skip }, async (t) => {
  const { network, subnet } = await bridgeNetwork(t);
  onCleanup(t, () => network.detach('net-b'));
  await network.attach('net-b', subnet.acquire(), { egress: 'engine', port: 8080 });
  const second = subnet.acquire();
  await network.attach('net-b', second, { egress: 'engine', port: 8080 });
  const ns = network.netnsName('net-b');
  assert.match(await inNs(ns, 'ip -o -4 addr show dev eth0'), new RegExp(` ${second.replace(/\./g, '\\.')}/`));
  assert.match(await inNs(ns, 'ip rule show'), /^32766:/m);
  await network.detach('net-b');
  assert.ok(!existsSync(`/run/netns/${ns}`));
  assert.ok(!existsSync(`/sys/class/net/${network.vethName('net-b')}`));
  assert.deepEqual(await network.listNamespaces(), []);
});

test('attach to a bridge that is gone fails with ENGINE_HOST_COMMAND_FAILED; detach then leaves nothing', { skip }, async (t) => {
  const { network, subnet, bridge } = await bridgeNetwork(t);
  await network.removeBridge();
  onCleanup(t, () => network.detach('net-c'));
  await assert.rejects(network.attach('net-c', subnet.acquire()), (err: Error & { code?: string }) => err.code === 'ENGINE_HOST_COMMAND_FAILED' && err.message.includes(bridge));
  await network.detach('net-c');
  assert.ok(!existsSync(`/run/netns/${network.netnsName('net-c')}`));
  assert.ok(!existsSync(`/sys/class/net/${network.vethName('net-c')}`));
});
