// The guests' network: one bridge per engine (its first subnet address on the engine
// side, never routed, no NAT) and per VS a named network namespace holding the guest
// end of a veth pair as eth0 with the VS's address. Bridge ports are isolated
// (`bridge link set … isolated on`): a guest reaches the engine, never another guest.
// Egress 'none' (default) goes further: policy routing inside the guest's netns (the
// guest has no capabilities to change it) routes only TCP from its serving port — the
// replies to the router and health checks — so any connection it opens, even to the
// engine's bridge address, fails with ENETUNREACH. No tc classifiers, nft or iptables
// are needed (this kernel has none); the one gap: a client socket the guest binds to
// its own serving port with SO_REUSEPORT still routes to the engine's address.
// IPv6 is off on both sides (`disable_ipv6` on the bridge, the host's veth end and
// everything in the guest's netns, set before any link is up): `ip rule` above is
// IPv4's, and a link-local fe80:: address would otherwise reach the engine's `[::]`
// listeners from every guest, whatever its egress.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { allSettled } from '../all-settled.ts';
import { run } from './host-command.ts';
import type { Subnet } from './subnet.ts';

export const NETNS_DIR = '/run/netns';

/** 'none': the guest only answers (TCP from its serving port); 'engine': it may also connect to the engine's bridge address. */
export type Egress = 'none' | 'engine';

/** `db`: the database forwarder on the bridge, which a guest of a site with a database may also connect to. */
export interface EgressPolicy {
  egress: Egress;
  port: number;
  db?: { host: string; port: number };
}

export interface GuestNetwork {
  bridge: string;
  /** Create the bridge if missing (idempotent). */
  ensureBridge(): Promise<void>;
  /** The network namespace's name for a VS. */
  netnsName(vs: string): string;
  /** Fresh netns + veth for the VS with the given address; returns the netns path. */
  attach(vs: string, address: string, policy?: EgressPolicy): Promise<string>;
  detach(vs: string): Promise<void>;
  /** VS names with a namespace of this engine on the machine. */
  listNamespaces(): Promise<string[]>;
  /** Host veth names on the bridge. */
  listPorts(): Promise<string[]>;
  deletePort(name: string): Promise<void>;
  vethName(vs: string): string;
  removeBridge(): Promise<void>;
}

export function guestNetwork(bridge: string, subnet: Subnet): GuestNetwork {
  const prefix = `${bridge}-`;
  const self: GuestNetwork = {
    bridge,
    netnsName: (vs) => prefix + vs,
    vethName: (vs) => `cv${createHash('sha256').update(`${bridge}/${vs}`).digest('hex').slice(0, 10)}`,

    async ensureBridge() {
      const exists = (await run('ip', ['link', 'show', 'dev', bridge], { allowFail: true })).code === 0;
      if (!exists) await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge'], { allowFail: true });
      await disableIpv6(bridge);
      const addrs = (await run('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge])).stdout;
      if (!addrs.includes(` ${subnet.gateway}/`)) await run('ip', ['addr', 'add', `${subnet.gateway}/${subnet.prefix}`, 'dev', bridge]);
      await run('ip', ['link', 'set', bridge, 'up']);
    },

    // Three `ip` runs (a batch stops at its first failure): the host's side — the netns, IPv6 off
    // in it (so eth0 is made without), the veth isolated on the bridge, still down — then, once
    // IPv6 is off on the host's end (before it is up: no link-local address), that end up and,
    // at the same time, the guest's side in the netns.
    async attach(vs, address, policy = { egress: 'none', port: 8080 }) {
      await self.detach(vs);
      const ns = self.netnsName(vs);
      const veth = self.vethName(vs);
      await run('ip', ['-batch', '-'], {
        input: lines([
          `netns add ${ns}`,
          `netns exec ${ns} ${GUEST_IPV6_OFF}`,
          `link add ${veth} type veth peer name eth0 netns ${ns}`,
          `link set dev ${veth} master ${bridge}`,
          `link set dev ${veth} type bridge_slave isolated on`,
        ]),
      });
      await disableIpv6(veth);
      await allSettled([
        run('ip', ['link', 'set', 'dev', veth, 'up']),
        run('ip', ['-n', ns, '-batch', '-'], { input: lines([`addr add ${address}/${subnet.prefix} dev eth0`, 'link set eth0 up', 'link set lo up', ...egressRules(policy)]) }),
      ] as const);
      return `${NETNS_DIR}/${ns}`;
    },

    // Only what exists is deleted (a fresh VS has neither: no process spawned).
    async detach(vs) {
      const veth = self.vethName(vs);
      const ns = self.netnsName(vs);
      if (existsSync(`/sys/class/net/${veth}`)) await run('ip', ['link', 'del', veth], { allowFail: true });
      if (existsSync(`${NETNS_DIR}/${ns}`)) await run('ip', ['netns', 'del', ns], { allowFail: true });
    },

    async listNamespaces() {
      const names = await readdir(NETNS_DIR).catch(() => []);
      return names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    },

    async listPorts() {
      const out = (await run('ip', ['-o', 'link', 'show', 'master', bridge], { allowFail: true })).stdout;
      return out.split('\n').map((l) => /^\d+: ([^@:]+)/.exec(l)?.[1]).filter((n): n is string => !!n);
    },

    async removeBridge() {
      await run('ip', ['link', 'del', bridge], { allowFail: true });
    },

    async deletePort(name) {
      await run('ip', ['link', 'del', name], { allowFail: true });
    },
  };
  return self;
}

const IPV6_CONF = '/proc/sys/net/ipv6/conf';

/** Run inside a fresh netns (`ip netns exec`, quoted for `ip -batch`): IPv6 off for every link there and every link made later (nothing to do without IPv6). */
const GUEST_IPV6_OFF = `/bin/sh -c "[ -d ${IPV6_CONF} ] || exit 0; echo 1 > ${IPV6_CONF}/all/disable_ipv6 && echo 1 > ${IPV6_CONF}/default/disable_ipv6"`;

const lines = (cmds: string[]) => cmds.join('\n') + '\n';

/** IPv6 off on a host link (no link-local address, no IPv6 traffic); nothing to do where the kernel has no IPv6. */
async function disableIpv6(link: string) {
  if (existsSync(`${IPV6_CONF}/${link}`)) await writeFile(`${IPV6_CONF}/${link}/disable_ipv6`, '1');
}

/**
 * `ip rule` commands of the guest's netns: with egress 'none' only TCP from the serving port
 * finds a route (local addresses always do), and, for a site with a database, TCP to the
 * database forwarder's address and port — nothing else of the host.
 */
export function egressRules(policy: EgressPolicy): string[] {
  if (policy.egress === 'engine') return [];
  const db = policy.db ? [`rule add pref 101 to ${policy.db.host}/32 ipproto tcp dport ${policy.db.port} lookup main`] : [];
  return [`rule add pref 100 ipproto tcp sport ${policy.port} lookup main`, ...db, 'rule del pref 32766', 'rule del pref 32767'];
}
