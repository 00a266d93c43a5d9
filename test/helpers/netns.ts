// Several "hosts" on one machine: network namespaces joined by veth pairs to a test
// bridge, in a test subnet (10.231.N.0/24, N random). Root only. Everything made here
// is removed by close() (namespaces, veths and the bridge), registered by the caller
// right after creation.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface TestHost {
  ns: string;
  ip: string;
}

export interface TestNet {
  bridge: string;
  /** The bridge's address: the root namespace as seen from the hosts. */
  hostIp: string;
  hosts: TestHost[];
  /** Every process in a host's namespace (its agent and guests). */
  pids(host: TestHost): number[];
  close(): void;
}

/** Why namespace tests cannot run here, or false when they can. */
export function netnsMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, veth and bridges); CI runs as root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs iproute2 (ip)';
  }
}

export function createTestNet(count: number): TestNet {
  const tag = `${process.pid % 10000}${randomInt(10, 99)}`;
  const octet = randomInt(1, 254);
  const bridge = `crlbr${tag}`;
  const hostIp = `10.231.${octet}.1`;
  const hosts: TestHost[] = [];
  const made: string[][] = [];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const close = () => {
    for (const undo of made.reverse()) {
      try {
        ip(...undo);
      } catch {
        /* already gone */
      }
    }
    made.length = 0;
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    made.push(['link', 'del', bridge]);
    ip('addr', 'add', `${hostIp}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (let i = 0; i < count; i++) {
      const ns = `crl${tag}h${i}`;
      const outside = `crl${tag}v${i}`;
      const hostAddr = `10.231.${octet}.${11 + i}`;
      ip('netns', 'add', ns);
      made.push(['netns', 'del', ns]);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      made.push(['link', 'del', outside]);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('-n', ns, 'addr', 'add', `${hostAddr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      hosts.push({ ns, ip: hostAddr });
    }
  } catch (err) {
    close();
    throw err;
  }
  return {
    bridge, hostIp, hosts, close,
    pids: (host) =>
      execFileSync('ip', ['netns', 'pids', host.ns], { encoding: 'utf8' })
        .split('\n')
        .map(Number)
        .filter((n) => n > 0),
  };
}
