// Signalling a VS's process group (the VS is started detached, so its pid is its pgid).

import { liveGroupMembers } from './proc-scan.ts';
import { sleep } from './sleep.ts';

/** Send sig to every process in the group; false if the group no longer exists. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Whether the group has a live member. Zombies left to an init that reaps slowly do not count. */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  const live = await liveGroupMembers(pgid);
  return live === undefined || live.length > 0;
}

/** Poll until the group is gone; false if it is still there after timeoutMs. */
export async function waitGroupGone(pgid: number, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}
