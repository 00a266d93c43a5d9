// A role's state folder (--dir), checked before anything starts.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from '../errors.ts';

/**
 * Make the folder if need be and check this user may write in it: a read-only folder
 * otherwise failed deep in the start on its first subfolder (`ENOENT … mkdir '<dir>/logs'`
 * or EACCES), naming neither the flag nor what to do.
 */
export async function writableStateFolder(dir: string, flag = '--dir'): Promise<void> {
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await access(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`${flag} ${path} is not a folder this user can write in (${code}): choose another, or give this user write access to it`);
  }
}
