// A VS name is claimed for as long as its launch runs and the VS lives: a second start
// of the same name is refused, and a failed launch gives the name back. Shared by the
// runtimes.
import { VsAlreadyRunningError } from './errors.ts';

export async function launchClaimed<T>(claimed: Set<string>, name: string, launch: () => Promise<T>): Promise<T> {
  if (claimed.has(name)) throw new VsAlreadyRunningError(name);
  claimed.add(name);
  try {
    return await launch();
  } catch (err) {
    claimed.delete(name);
    throw err;
  }
}
