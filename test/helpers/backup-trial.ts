// A farm backup and restore as an operator tries it, for a describe block: a work folder
// and a `corral up` farm made before its tests; `restoreFarm` stops that farm (the old
// machine is gone), runs `corral restore` into <work>/restored and starts `corral up`
// there; `underLoad` keeps writing to the farm while it takes a backup. Both farms and
// the work folder are removed after the block.
import { after, before } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/lib/wait.ts';
import { ok, removeDir, runCli, startFarmProcess, type CliResult, type FarmProcess } from './farm-process.ts';

export interface BackupTrial {
  /** The work folder (archives, sites to deploy, the restored farm). */
  readonly work: string;
  /** The farm backed up. */
  readonly farm: FarmProcess;
  /** The farm started from the restored folder, once restoreFarm ran. */
  readonly restored: FarmProcess | undefined;
  /** Stop the farm, restore `archive` into <work>/restored, start a farm there (with `extraArgs` for corral up). */
  restoreFarm(archive: string, extraArgs?: string[]): Promise<{ restore: CliResult; restored: FarmProcess }>;
}

/** Registers the block's before and after hooks; the fields are set once `before` ran. */
export function backupTrial(prefix: string): BackupTrial {
  let work = '';
  let farm: FarmProcess | undefined;
  let restored: FarmProcess | undefined;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), prefix));
    farm = await startFarmProcess();
  });
  after(async () => {
    await farm?.stop();
    await restored?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(restored?.dir ?? '');
    await removeDir(work);
  });
  return {
    get work() {
      return work;
    },
    get farm() {
      if (!farm) throw new Error('the farm starts in the block\'s before hook');
      return farm;
    },
    get restored() {
      return restored;
    },
    async restoreFarm(archive, extraArgs = []) {
      await farm?.stop();
      const dir = join(work, 'restored');
      const restore = await ok(runCli(['restore', archive, '--dir', dir]));
      restored = await startFarmProcess({ dir, extraArgs });
      return { restore, restored };
    },
  };
}

/**
 * Run `step` over and over; once `ready()` holds, run `action` while the steps go on, then
 * stop them. Returns what `action` returned and how many steps had completed by then.
 */
export async function underLoad<T>(step: () => Promise<void>, ready: () => boolean, action: () => Promise<T>, what: string): Promise<{ result: T; stepsBefore: number }> {
  let stop = false;
  let steps = 0;
  const loop = (async () => {
    while (!stop) {
      await step();
      steps++;
    }
  })();
  loop.catch(() => {}); // a failed step is thrown below, once the loop is awaited
  try {
    await waitFor(ready, { timeoutMs: 30_000, what });
    const result = await action();
    return { result, stepsBefore: steps };
  } finally {
    stop = true;
    await loop;
  }
}
