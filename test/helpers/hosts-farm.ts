// A farm on several "hosts" on one machine, every role a real process: a 3-member etcd on
// the test bridge, controllers and a router in the root namespace, and one engine per
// network namespace (its own host, --runtime auto: namespace guests where the machine
// allows them). Used by the many-host tests, `corral drill`'s test and bench/failover.ts.
// Root only (namespaces). Faults: crash a host (kill -9 its agent and guests) or silence
// it (its link down: packets dropped, no resets), and bring it back.

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openEtcdStore, type Store } from '../../src/store/index.ts';
import { startEtcdCluster, type EtcdCluster } from '../../src/store/etcd-testing.ts';
import { apiOf, type Api } from './cluster-api.ts';
import { ok, runCli, type CliResult } from './farm-process.ts';
import { createTestNet, type TestHost, type TestNet } from './netns.ts';
import { startRole, type RoleProcess } from './role-process.ts';

export interface HostsFarmOptions {
  controllers?: number;
  engines?: number;
  /** Extra flags for every `corral engine`. */
  engineFlags?: string[];
  /** Extra flags for every `corral controller`. */
  controllerFlags?: string[];
}

export interface HostsFarm {
  net: TestNet;
  etcd: EtcdCluster;
  /** A store client on the farm's etcd (the default namespace). */
  store: Store;
  controllers: Map<string, { proc: RoleProcess; url: string }>;
  engines: Map<string, RoleProcess>;
  router: RoleProcess;
  routerUrl: string;
  /** The farm's admin token. */
  token: string;
  admin: Api;
  /** Every live controller's API URL. */
  urls(): string[];
  cli(args: string[], token?: string): Promise<CliResult>;
  hostOf(engine: string): TestHost;
  /** Start (or restart, empty) engine `id` on its host; resolves once it has joined. */
  startEngine(id: string): Promise<RoleProcess>;
  /** Power loss: kill -9 every process on the engine's host (agent and guests). */
  crash(engine: string): void;
  /** The host's link goes down: its packets are dropped, nobody gets a reset. */
  silence(engine: string): void;
  /** The link comes back up. */
  unsilence(engine: string): void;
  /** The last output of every role, for a failure message. */
  dump(): string;
  close(): Promise<void>;
}

export async function startHostsFarm(root: string, opts: HostsFarmOptions = {}): Promise<HostsFarm> {
  const net = createTestNet(opts.engines ?? 3);
  const controllers = new Map<string, { proc: RoleProcess; url: string }>();
  const engines = new Map<string, RoleProcess>();
  let etcd: EtcdCluster | undefined;
  let store: Store | undefined;
  let router: RoleProcess | undefined;

  const close = async () => {
    await router?.kill('SIGKILL');
    // engines stop their guests themselves (namespace runtime: cgroups, data disk mounts); SIGKILL what lingers
    await Promise.all([...engines.values()].map((e) => Promise.race([e.kill('SIGTERM'), new Promise((r) => setTimeout(r, 15_000).unref())])));
    for (const e of engines.values()) await e.kill('SIGKILL');
    for (const h of net.hosts) for (const pid of net.pids(h)) killQuietly(pid);
    for (const m of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(root + '/')).reverse()) {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
    for (const c of controllers.values()) await c.proc.kill('SIGKILL');
    await store?.close();
    await etcd?.close();
    net.close();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    etcd = await startEtcdCluster({ members: 3, host: net.hostIp });
    store = await openEtcdStore(etcd.endpoints);
    const storeUrl = `etcd://${etcd.endpoints.map((e) => e.replace('http://', '')).join(',')}`;
    // The first controller creates the farm's admin token; the others are given its file.
    for (let i = 1; i <= (opts.controllers ?? 2); i++) {
      const id = `c${i}`;
      const given = i === 1 ? [] : ['--admin-token-file', join(root, 'c1', 'admin-token')];
      const proc = startRole(['controller', '--store', storeUrl, '--dir', join(root, id), '--api-port', '0', '--host', net.hostIp, '--id', id, ...given, ...(opts.controllerFlags ?? [])]);
      controllers.set(id, { proc, url: '' });
      controllers.get(id)!.url = (await proc.until(/API\s+(http:\/\/\S+)\/v1/))[1]!;
    }
    const token = readFileSync(join(root, 'c1', 'admin-token'), 'utf8').trim();
    const urls = () => [...controllers.values()].map((c) => c.url);
    const cli = (args: string[], tok = token) => runCli(args, { env: { CORRAL_API: urls().join(','), CORRAL_TOKEN: tok } });
    const joinToken = /token: (\S+)/.exec((await ok(cli(['join-token', 'create', '--name', 'hosts']))).stdout)![1]!;
    const hostOf = (engine: string): TestHost => {
      const host = net.hosts[Number(engine.slice(1)) - 1];
      if (!host) throw new Error(`no host for engine ${engine}`);
      return host;
    };
    const startEngine = async (id: string) => {
      const host = hostOf(id);
      const args = ['engine', '--join', urls().join(','), '--token', joinToken, '--id', id, '--address', host.ip, '--dir', join(root, id), ...(opts.engineFlags ?? [])];
      const proc = startRole(args, { ns: host.ns, netOnly: true });
      engines.set(id, proc);
      await proc.until(/joined the farm/);
      return proc;
    };
    router = startRole(['--dir', join(root, 'r1'), 'router', '--join', urls().join(','), '--token', joinToken, '--http-port', '0', '--api-port', '0', '--host', '127.0.0.1', '--id', 'r1']);
    await Promise.all(net.hosts.map((_, i) => startEngine(`e${i + 1}`)));
    const routerUrl = (await router.until(/up at (http:\/\/\S+)/))[1]!;
    const link = (engine: string, state: 'up' | 'down') => execFileSync('ip', ['-n', hostOf(engine).ns, 'link', 'set', 'eth0', state]);
    return {
      net, etcd, store, controllers, engines, router, routerUrl, token,
      admin: apiOf(urls, token),
      urls, cli, hostOf, startEngine,
      crash: (engine) => {
        for (const pid of net.pids(hostOf(engine))) killQuietly(pid);
      },
      silence: (engine) => link(engine, 'down'),
      unsilence: (engine) => link(engine, 'up'),
      dump: () => [...controllers.entries(), ...engines.entries()].map(([id, p]) => `--- ${id}\n${('proc' in p ? p.proc : p).output().slice(-3000)}`).join('\n'),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
