// The guests' seccomp filter: everything is allowed except the syscalls below, which
// fail with EPERM (or ENOSYS where libc falls back to an older call). The filter is
// compiled once per engine start by libseccomp's Python bindings (Debian's
// python3-seccomp, run by Debian's /usr/bin/python3) into `<runDir>/.seccomp.bpf`;
// bubblewrap loads it (`--seccomp FD`) right before the guest's command, and `vs exec`
// loads the same program with LOAD_SCRIPT. Syscalls of other ABIs (i386, x32) kill
// the caller (libseccomp's bad-arch action): the filter speaks the native ABI only.
// Where the bindings are missing, guests still start and say seccomp is not enforced.

import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { run } from './host-command.ts';

export const PYTHON = '/usr/bin/python3';

/** What a guest may not do, by syscall name. */
export const DENIED_SYSCALLS = [
  // new user namespaces (and any other), joining or mounting: the guest's own view of the system stays put
  'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
  // the kernel keyring is not namespaced
  'add_key', 'keyctl', 'request_key',
  // large kernel attack surfaces no web app needs
  'bpf', 'perf_event_open', 'userfaultfd', 'ptrace', 'process_vm_readv', 'process_vm_writev',
  // modules, kexec, file handles (open_by_handle_at walks past the mount namespace), the machine itself
  'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'open_by_handle_at', 'name_to_handle_at',
  'acct', 'swapon', 'swapoff', 'reboot', 'syslog', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'iopl', 'ioperm', 'fanotify_init', 'uselib', 'vhangup',
] as const;

/** Refused with ENOSYS, so that libc and libuv fall back (clone3's flags cannot be inspected; io_uring is a large attack surface). */
export const UNSUPPORTED_SYSCALLS = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const;

/** CLONE_NEW* flags: clone and unshare with any of them fail with EPERM. */
export const NAMESPACE_FLAGS = {
  CLONE_NEWTIME: 0x80, CLONE_NEWNS: 0x20000, CLONE_NEWCGROUP: 0x2000000, CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000, CLONE_NEWUSER: 0x10000000, CLONE_NEWPID: 0x20000000, CLONE_NEWNET: 0x40000000,
} as const;

/** The filter of this engine: its BPF file, or why there is none. */
export type SeccompFilter = { file: string; reason?: undefined } | { file?: undefined; reason: string };

/** The Python program that compiles the rules (argv[1]: JSON) into BPF (argv[2]: file). */
const BUILD_SCRIPT = `
import errno, json, sys
try:
    import seccomp
except ImportError:
    sys.exit("libseccomp's Python bindings are missing (Debian: python3-seccomp)")
rules = json.loads(sys.argv[1])
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in rules["deny"]:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):
        pass  # unknown to this libseccomp or this architecture
for name in rules["unsupported"]:
    try:
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
    except (RuntimeError, ValueError, OSError):
        pass
for call in ("clone", "unshare"):
    for flag in rules["nsFlags"]:
        if call == "clone" and flag < 0x100:
            continue  # clone's low byte is the exit signal
        f.add_rule(seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
with open(sys.argv[2], "wb") as out:
    f.export_bpf(out)
`;

/**
 * Run by `vs exec` inside the guest after setpriv (no_new_privs set): reads the BPF
 * program from fd 4, loads it (prctl PR_SET_SECCOMP, SECCOMP_MODE_FILTER) and execs argv.
 */
export const LOAD_SCRIPT = `
import ctypes, os, sys
with os.fdopen(4, "rb") as f:
    code = f.read()
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
buf = ctypes.create_string_buffer(code, len(code))
prog = Prog(len(code) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
    sys.exit("cannot load the seccomp filter: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
`;

/** Compile the filter into `<runDir>/.seccomp.bpf` (written aside, then renamed). */
export async function buildSeccompFilter(runDir: string): Promise<SeccompFilter> {
  const file = path.join(runDir, '.seccomp.bpf');
  const tmp = `${file}.${process.pid}.tmp`;
  const rules = JSON.stringify({ deny: DENIED_SYSCALLS, unsupported: UNSUPPORTED_SYSCALLS, nsFlags: Object.values(NAMESPACE_FLAGS) });
  if (!existsSync(PYTHON)) return { reason: `${PYTHON} is missing (Debian: python3-seccomp)` };
  const out = await run(PYTHON, ['-I', '-c', BUILD_SCRIPT, rules, tmp], { allowFail: true, env: { PATH: '/usr/bin:/bin' } });
  if (out.code !== 0) return { reason: out.stderr.trim().split('\n').pop() || `${PYTHON} exited with ${out.code}` };
  await rename(tmp, file);
  return { file };
}
