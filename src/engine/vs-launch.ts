// What the process runtime executes for one VS, and with which environment: the
// site's env plus Corral's variables, never the engine's own environment (so no
// engine secrets leak into a customer's process).

import path from 'node:path';
import { bundledEntryBeside, loaderArgs } from '../lib/entry-point.ts';
import { MissingCommandError } from './errors.ts';
import type { DatabaseTarget, VsSpec } from './runtime.ts';

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The static web runtime's entry point, spawned for static sites: dist/web-runtime/main.bundle.js once built. */
export const WEB_RUNTIME_MAIN = bundledEntryBeside(import.meta.url, '../web-runtime/main');

/**
 * V8's young generation kept small in the web runtime: under load V8 grows it to 3 × 16 MiB
 * by default, and a pool VS (then 64 MiB + 1 MiB a site) was OOM-killed by that alone, 500
 * connections asking for one cached file. 2 MiB semi-spaces cost more frequent scavenges.
 */
export const WEB_RUNTIME_V8_ARGS = ['--max-semi-space-size=2'];

/** Node arguments for the web runtime: none for the built JavaScript; tsx when the sources run under it. */
export function defaultNodeArgs(): string[] {
  return loaderArgs(WEB_RUNTIME_MAIN);
}

/** `db`: where this VS reaches PostgreSQL, when its site has a database (and the engine a database service). */
export function vsLaunch(spec: VsSpec, address: string, port: number, nodeArgs: string[], db?: DatabaseTarget): Launch {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    NODE_ENV: 'production',
    ...spec.env,
    ...(spec.database && db ? databaseEnv(spec.database, db) : {}),
    // Set by the engine; a site's env cannot override these.
    PORT: String(port),
    HOST: address,
    CORRAL_VS: spec.name,
    CORRAL_SITE: spec.site,
    CORRAL_DATA_DIR: spec.dataDir,
  };
  if (spec.kind === 'static') {
    if (spec.table !== undefined) env.CORRAL_WEB_TABLE = path.join(spec.releaseDir, spec.table);
    else env.CORRAL_WEB_SITES = JSON.stringify([{ domains: spec.domains, root: spec.releaseDir, ...(spec.spa === true ? { spa: true } : {}) }]);
    return { file: process.execPath, args: [...nodeArgs, ...WEB_RUNTIME_V8_ARGS, WEB_RUNTIME_MAIN], env };
  }
  if (!spec.command) throw new MissingCommandError(spec.name);
  return { file: '/bin/sh', args: ['-c', spec.command], env };
}

/** libpq's variables and DATABASE_URL for a database login reached at `at`. */
export function databaseEnv(db: NonNullable<VsSpec['database']>, at: DatabaseTarget): Record<string, string> {
  const url = `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${at.host}:${at.port}/${encodeURIComponent(db.name)}`;
  return { PGHOST: at.host, PGPORT: String(at.port), PGDATABASE: db.name, PGUSER: db.user, PGPASSWORD: db.password, DATABASE_URL: url };
}
