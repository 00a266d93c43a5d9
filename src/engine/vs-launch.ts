// What the process runtime executes for one VS, and with which environment: the
// site's env plus Corral's variables, never the engine's own environment (so no
// engine secrets leak into a customer's process).

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MissingCommandError } from './errors.ts';
import type { VsSpec } from './runtime.ts';

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The static web runtime's entry point, spawned for static sites. */
export const WEB_RUNTIME_MAIN = fileURLToPath(new URL('../web-runtime/main.ts', import.meta.url));

/** Node arguments that load TypeScript through tsx, by absolute URL (the VS's cwd is its release). */
export function defaultNodeArgs(): string[] {
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href];
}

export function vsLaunch(spec: VsSpec, address: string, port: number, nodeArgs: string[]): Launch {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    NODE_ENV: 'production',
    ...spec.env,
    // Set by the engine; a site's env cannot override these.
    PORT: String(port),
    HOST: address,
    CORRAL_VS: spec.name,
    CORRAL_SITE: spec.site,
    CORRAL_DATA_DIR: spec.dataDir,
  };
  if (spec.kind === 'static') {
    env.CORRAL_WEB_SITES = JSON.stringify([{ domains: spec.domains, root: spec.releaseDir }]);
    return { file: process.execPath, args: [...nodeArgs, WEB_RUNTIME_MAIN], env };
  }
  if (!spec.command) throw new MissingCommandError(spec.name);
  return { file: '/bin/sh', args: ['-c', spec.command], env };
}
