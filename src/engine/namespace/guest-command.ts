// The command line that starts one guest: a bash prelude joins the VS's cgroups, closes
// every file descriptor above 2 that the agent inherited, opens bubblewrap's options
// (fd 3) and the seccomp filter (fd 4), and execs nsenter into its network namespace,
// which execs bubblewrap (new mount, PID, UTS and IPC namespaces; system folders
// read-only; release, data, private /tmp; the seccomp filter), which runs setpriv to
// drop to the customer's uid/gid with no capabilities left, then the VS's own command.
// bubblewrap reads its options from fd 3 (`--args`), so the guest's pid 1 (bwrap) shows
// no host path in /proc/1/cmdline, and closes fds 3 and 4 once read. Pure: tested
// without running anything.

import { createHash } from 'node:crypto';

/** Where things are inside every guest. */
export const GUEST = { release: '/srv/release', data: '/srv/data', tmp: '/tmp' } as const;

/** Host paths every guest sees read-only (when they exist), besides /usr. */
export const SYSTEM_ETC = ['/etc/alternatives', '/etc/ssl', '/etc/ca-certificates', '/etc/localtime', '/etc/nsswitch.conf', '/etc/host.conf', '/etc/mime.types', '/etc/resolv.conf'];

export interface GuestCommandInput {
  vs: string;
  uid: number;
  gid: number;
  /** Directories whose cgroup.procs the prelude joins. */
  cgroupDirs: string[];
  netnsPath: string;
  releaseDir: string;
  dataDir: string;
  /** Per-VS generated /etc files (hosts, hostname, passwd, group), bound read-only. */
  etcFiles: Record<string, string>;
  tmpBytes: number;
  /** Extra read-only binds at the same path (Node's own install, the repo for the web runtime). */
  readOnly: string[];
  /** How the root's /lib, /bin… look: symlinks into /usr (merged /usr) or real directories. */
  rootLinks: Record<string, string | null>;
  /** The guest's own command: file and args (run with cwd /srv/release). */
  file: string;
  args: string[];
  /** Where the launch reads bubblewrap's options from (written by the caller: NUL-separated `bwrapArgs`). */
  argsFile: string;
  /** The compiled seccomp filter; none: the guest runs without one. */
  seccompFile?: string | undefined;
}

/**
 * The prelude of every process started into a guest (`bash -c PRELUDE name FILE3 FILE4 cmd…`):
 * join the cgroups in $CORRAL_CGROUPS, close every fd above 2, open FILE3 as fd 3 and
 * FILE4 as fd 4 (each when not empty), exec the rest.
 */
export const PRELUDE = [
  'for d in $CORRAL_CGROUPS; do echo $$ > "$d/cgroup.procs" || exit 125; done; unset CORRAL_CGROUPS',
  'for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done',
  'if [ -n "$1" ]; then exec 3<"$1" || exit 125; fi; if [ -n "$2" ]; then exec 4<"$2" || exit 125; fi; shift 2; exec "$@"',
].join('\n');

/** The launch: `argv` to spawn, and `bwrapArgs` to write NUL-separated into `argsFile`. */
export function guestCommand(g: GuestCommandInput): { argv: string[]; bwrapArgs: string[] } {
  const bwrapArgs = [
    '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-cgroup-try',
    '--hostname', g.vs,
    '--die-with-parent', '--new-session',
    // setpriv needs these three to drop to the customer's ids; it clears them all before exec.
    '--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP',
    '--ro-bind', '/usr', '/usr',
    ...rootEntries(g.rootLinks),
    // /proc, /dev and the private /tmp first: folders made below come after, so a repo
    // that lives under /tmp is not hidden by the tmpfs.
    '--proc', '/proc', '--dev', '/dev',
    '--perms', '1777', '--size', String(g.tmpBytes), '--tmpfs', GUEST.tmp,
    // Folders bwrap would otherwise create as 0700 (unreadable to the guest's uid).
    ...['/etc', '/srv', ...ancestors(g.readOnly)].flatMap((d) => ['--perms', '0755', '--dir', d]),
    ...SYSTEM_ETC.flatMap((p) => ['--ro-bind-try', p, p]),
    ...Object.entries(g.etcFiles).flatMap(([name, file]) => ['--ro-bind', file, `/etc/${name}`]),
    ...g.readOnly.flatMap((p) => ['--ro-bind', p, p]),
    '--ro-bind', g.releaseDir, GUEST.release,
    '--bind', g.dataDir, GUEST.data,
    '--chdir', GUEST.release,
    ...(g.seccompFile ? ['--seccomp', '4'] : []),
  ];
  const argv = ['/bin/bash', '-c', PRELUDE, 'corral-guest', g.argsFile, g.seccompFile ?? '',
    'nsenter', `--net=${g.netnsPath}`, '--', 'bwrap', '--args', '3', '--', ...setpriv(g.uid, g.gid), g.file, ...g.args];
  return { argv, bwrapArgs };
}

/** setpriv to the customer's ids, every capability and the bounding set cleared, no_new_privs. */
export function setpriv(uid: number, gid: number): string[] {
  return ['/usr/bin/setpriv', '--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs'];
}

/** Every ancestor folder of the given paths (not /, not /usr's), parents first. */
export function ancestors(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/');
      if (dir !== '/usr' && !dir.startsWith('/usr/')) out.add(dir);
    }
  }
  return [...out].sort((a, b) => a.split('/').length - b.split('/').length);
}

/** /lib, /lib64, /bin, /sbin: the same symlink into /usr as on the host, or a read-only bind. */
function rootEntries(links: Record<string, string | null>): string[] {
  return Object.entries(links).flatMap(([p, target]) => (target ? ['--symlink', target, p] : ['--ro-bind-try', p, p]));
}

/** First uid of the customers' range; uid = gid = UID_BASE + hash(customer) mod UID_SPAN. */
export const UID_BASE = 200_000;
export const UID_SPAN = 65_536;

export function customerUid(customer: string): number {
  return UID_BASE + (createHash('sha256').update(customer).digest().readUInt32BE(0) % UID_SPAN);
}

/** /etc/hosts, hostname, passwd and group of a guest. */
export function etcContents(vs: string, address: string, uid: number, gid: number): Record<string, string> {
  return {
    hostname: `${vs}\n`,
    hosts: `127.0.0.1 localhost\n${address} ${vs}\n`,
    passwd: `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nvs:x:${uid}:${gid}:${vs}:${GUEST.data}:/bin/sh\n`,
    group: `root:x:0:\nvs:x:${gid}:\n`,
  };
}
