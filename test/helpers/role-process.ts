// A Corral role (`corral controller|engine|router …`) as a real child process, optionally
// inside a network namespace (`ip netns exec`). Output is kept; wait for a line with
// until(); kill() sends a signal and waits for the exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../src/lib/wait.ts';
import { CORRAL_BIN, REPO } from './farm-process.ts';

export interface RoleProcess {
  child: ChildProcess;
  output(): string;
  /** Wait until the output matches; returns the match. */
  until(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `ns`: run inside that network namespace. `ip netns exec` also gives the process its own
 * /sys, without the host's cgroup mounts; `netOnly` enters the network namespace alone
 * (nsenter), keeping the host's mounts as an engine host has them (its namespace runtime).
 */
export function startRole(args: string[], opts: { ns?: string; netOnly?: boolean; env?: Record<string, string> } = {}): RoleProcess {
  const node = [process.execPath, CORRAL_BIN, ...args];
  const enter = opts.netOnly ? ['nsenter', [`--net=/run/netns/${opts.ns}`]] as const : ['ip', ['netns', 'exec', opts.ns]] as const;
  const [file, argv] = opts.ns ? [enter[0], [...enter[1], ...node]] : [node[0]!, node.slice(1)];
  const child = spawn(file as string, argv as string[], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORRAL_LOG_LEVEL: process.env.CORRAL_LOG_LEVEL ?? 'warn', ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    async until(pattern, timeoutMs = 30_000) {
      return waitFor(
        () => {
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`corral ${args[0]} exited:\n${out}`);
          return pattern.exec(out) ?? undefined;
        },
        { what: `corral ${args[0]} to print ${pattern}`, timeoutMs },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- output ---\n${out}`);
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
