// Linux /proc helpers: the live members of a process group (zombies waiting for an
// init that reaps slowly do not count), and whether a process carries CORRAL_VS=<name>
// in its environment, so that a reused pid is never mistaken for one of ours.

import { readdir, readFile } from 'node:fs/promises';

/** Pids of non-zombie processes in group pgid; undefined where /proc is not available. */
export async function liveGroupMembers(pgid: number): Promise<number[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = await procStat(Number(e));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(Number(e));
  }
  return out;
}

/** Live members of group pgid whose environment has CORRAL_VS=vs (none where /proc is missing). */
export async function findOurGroupMembers(pgid: number, vs: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of (await liveGroupMembers(pgid)) ?? []) {
    if (await hasCorralVs(pid, vs)) out.push(pid);
  }
  return out;
}

/** Whether /proc/<pid>/environ contains exactly CORRAL_VS=<vs>. */
export async function hasCorralVs(pid: number, vs: string): Promise<boolean> {
  try {
    const env = await readFile(`/proc/${pid}/environ`, 'latin1');
    return env.split('\0').includes(`CORRAL_VS=${vs}`);
  } catch {
    return false;
  }
}

/** State letter and process group from /proc/<pid>/stat, or undefined if it is gone. */
async function procStat(pid: number): Promise<{ state: string; pgrp: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    return fields[0] && Number.isInteger(pgrp) ? { state: fields[0], pgrp } : undefined;
  } catch {
    return undefined;
  }
}
