// Whether this machine can run the namespace runtime: Linux, root, bubblewrap, nsenter, bash,
// setpriv and ip present, the cgroup controllers mounted, and a throwaway guest that
// actually starts. The reason is returned when it cannot, for a one-line warning.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DEFAULT_LIMITS, detectLayout } from './cgroup-layout.ts';
import { openCgroups } from './cgroups.ts';
import { rootLinks } from './guest-paths.ts';
import { run } from './host-command.ts';

const TOOLS = ['/usr/bin/bwrap', '/usr/bin/nsenter', '/usr/bin/setpriv', '/bin/bash'];

/** undefined when the namespace runtime works here, else why not. */
export async function namespaceUnsupported(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const tool of TOOLS) if (!existsSync(tool)) return `${tool} is missing (Debian: bubblewrap, util-linux, bash)`;
  if ((await run('ip', ['-V'], { allowFail: true }).catch(() => ({ code: 1 }))).code !== 0) return 'ip is missing (Debian: iproute2)';
  const [mountinfo, self] = await Promise.all([readFile('/proc/self/mountinfo', 'utf8'), readFile('/proc/self/cgroup', 'utf8')]).catch(() => ['', '']);
  if (!detectLayout(mountinfo, self)) return 'the memory, cpu and pids cgroup controllers are not all mounted';
  const cgroupProblem = await probeCgroups();
  if (cgroupProblem) return cgroupProblem;
  const smoke = await run('/usr/bin/bwrap', [
    '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-net', '--die-with-parent', '--cap-drop', 'ALL',
    '--ro-bind', '/usr', '/usr',
    ...Object.entries(rootLinks()).flatMap(([p, target]) => (target ? ['--symlink', target, p] : ['--ro-bind', p, p])),
    '--proc', '/proc', '--dev', '/dev', '--', '/bin/sh', '-c', 'exit 0',
  ], { allowFail: true, timeoutMs: 5_000 }).catch((err: Error) => ({ code: 1, stderr: err.message }));
  if (smoke.code !== 0) return `bubblewrap cannot create a guest here: ${smoke.stderr.trim().split('\n')[0] ?? ''}`;
  return undefined;
}

/** Create, limit and remove a throwaway VS cgroup (a read-only or undelegated hierarchy fails here). */
async function probeCgroups(): Promise<string | undefined> {
  const instance = `probe-${process.pid}`;
  try {
    const cgroups = await openCgroups(instance);
    if (!cgroups) return 'the memory, cpu and pids cgroup controllers are not all mounted';
    try {
      await cgroups.create('probe', DEFAULT_LIMITS);
    } finally {
      await cgroups.remove('probe').catch(() => undefined);
      await cgroups.removeInstance();
    }
    return undefined;
  } catch (err) {
    return `cannot create cgroups (${(err as Error).message.split('\n')[0]}); on cgroup v2 the engine needs a delegated subtree`;
  }
}
