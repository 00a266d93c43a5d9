// Where the CLI finds the API and its token: flags, then CORRAL_API / CORRAL_TOKEN,
// then the files `corral up` writes into ./.corral/ (api-url, admin-token). The API address
// may list several controllers (comma- or line-separated): api-failover.ts tries each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';

export interface ClientConfig {
  api: string;
  token: string;
}

export interface ConfigFlags {
  api?: string;
  token?: string;
  dir?: string;
}

export const DEFAULT_DIR = '.corral';

export function resolveClientConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const dir = flags.dir ?? env.CORRAL_DIR ?? DEFAULT_DIR;
  // set but empty (`CORRAL_TOKEN= corral …`): said so, never taken as unset — falling back
  // to the admin token would hand admin rights to a command meant to run without them
  for (const name of ['CORRAL_API', 'CORRAL_TOKEN'] as const) {
    if (env[name] !== undefined && env[name]!.trim() === '' && flags[name === 'CORRAL_API' ? 'api' : 'token'] === undefined) {
      throw new CliError(`${name} is set but empty: give it a value, or unset it (unset ${name})`);
    }
  }
  const api = flags.api ?? env.CORRAL_API ?? readIfExists(join(dir, 'api-url'));
  const token = flags.token ?? env.CORRAL_TOKEN ?? readIfExists(join(dir, 'admin-token'));
  if (!api) {
    const stopped = readIfExists(join(dir, 'admin-token')) !== undefined; // a farm folder whose corral up is not running
    throw new CliError(stopped
      ? `the farm in ${dir} is not running (no ${join(dir, 'api-url')}): start it with \`corral up\`, or pass --api / set CORRAL_API`
      : `no API address: pass --api, set CORRAL_API, or run inside a folder where \`corral up\` runs (${join(dir, 'api-url')})`);
  }
  if (!token) throw new CliError(`no token: pass --token, set CORRAL_TOKEN, or run where ${join(dir, 'admin-token')} exists`);
  return { api: api.split(/[,\s]+/).filter(Boolean).join(','), token };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
