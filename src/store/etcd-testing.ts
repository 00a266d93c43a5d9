// Tests only: a real etcd cluster (1 or 3 members) on 127.0.0.1 (or a given address), free ports, a temp
// data dir per member; health polled with a deadline; killed and removed by close().
// Each member can be stopped and started again (same ports, same data).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { waitFor } from '../lib/wait.ts';
import { freePorts } from '../lib/free-ports.ts';

export const ETCD_BIN = process.env.CORRAL_ETCD_BIN ?? 'etcd';

/** Why etcd tests cannot run here, or false when they can. */
export function etcdMissing(): string | false {
  const r = spawnSync(ETCD_BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? false : `needs the etcd binary (${ETCD_BIN}; Debian package etcd-server)`;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  readonly running: boolean;
  /** SIGKILL (default) or SIGTERM the member, and wait for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same ports and data; resolves when it reports healthy. */
  start(): Promise<void>;
  /** SIGSTOP the member: its sockets stay open and it answers nothing (a hung host, as a network would show it). */
  pause(): void;
  /** SIGCONT a paused member; resolves when it reports healthy again. */
  resume(): Promise<void>;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdMember[];
  /** The member that is raft leader now (asked of the running members). */
  leader(): Promise<EtcdMember | undefined>;
  close(): Promise<void>;
}

export interface EtcdClusterOptions {
  members?: 1 | 3;
  /** Raft heartbeat / election timeout in ms (etcd's defaults are 100 / 1000). */
  heartbeatMs?: number;
  electionMs?: number;
  /** Address the members listen on (default 127.0.0.1); e.g. a test bridge's, for network namespaces. */
  host?: string;
}

export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const n = opts.members ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'corral-etcd-'));
  const host = opts.host ?? '127.0.0.1';
  const ports = await freePorts(2 * n, host);
  const specs = Array.from({ length: n }, (_, i) => ({
    name: `m${i}`,
    client: `http://${host}:${ports[2 * i]}`,
    peer: `http://${host}:${ports[2 * i + 1]}`,
    dir: join(root, `m${i}`),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  const members = specs.map((s) => {
    const args = [
      `--name=${s.name}`,
      `--data-dir=${s.dir}`,
      `--listen-client-urls=${s.client}`,
      `--advertise-client-urls=${s.client}`,
      `--listen-peer-urls=${s.peer}`,
      `--initial-advertise-peer-urls=${s.peer}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=corral-test-${process.pid}`,
      `--heartbeat-interval=${opts.heartbeatMs ?? 100}`,
      `--election-timeout=${opts.electionMs ?? 1000}`,
      '--log-level=error',
      '--auto-compaction-mode=revision',
      '--auto-compaction-retention=100000',
    ];
    return new Member(s.name, s.client, args);
  });
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    leader: async () => {
      for (const m of members.filter((x) => x.running)) {
        const client = new Etcd3({ hosts: [m.clientUrl] });
        try {
          const status = await client.maintenance.status();
          if (status.leader === status.header.member_id) return m;
        } catch {
          /* not answering: not the leader */
        } finally {
          client.close();
        }
      }
      return undefined;
    },
    close: async () => {
      await Promise.all(members.map((m) => m.stop('SIGKILL')));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m) => m.start()));
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

class Member implements EtcdMember {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(ETCD_BIN, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await this.healthy();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  async resume(): Promise<void> {
    this.child?.kill('SIGCONT');
    await this.healthy();
  }

  private async healthy(): Promise<void> {
    await waitFor(
      async () => {
        if (!this.child) throw new Error(`etcd ${this.name} exited: ${this.stderr}`);
        const res = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { what: `etcd member ${this.name} healthy`, timeoutMs: 20_000, intervalMs: 50 },
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT'); // a paused member acts on no signal but SIGKILL until continued
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }
}

