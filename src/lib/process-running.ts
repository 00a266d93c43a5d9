// Whether a process is running: it exists and is not a zombie (exited, its parent not
// reaping it yet — an orphan's parent is pid 1, which in some containers never reaps), as
// /proc/<pid>/stat says. For a process this user may not signal, too.

import { readFileSync } from 'node:fs';

export function processRunning(pid: number): boolean {
  try {
    // "pid (comm) S …": the state follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
