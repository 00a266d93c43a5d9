// Pooled static hosting flags: `--no-static-pools` (corral up, corral controller: new static
// sites get VSs of their own; pooled is the default, `--static-pools` an alias kept for
// scripts) and `--pooled` / `--no-pooled` (site create, site set).

export const STATIC_POOLS_HELP = 'new static sites are pooled (the default; kept for scripts, does nothing): one shared web-runtime VS per customer per engine serves them all (site create --no-pooled opts out)';
export const NO_STATIC_POOLS_HELP = 'new static sites get VSs of their own unless created with --pooled (default: pooled)';
export const POOLED_HELP = 'static sites: served by the customer\'s shared pool VS on each engine (one web runtime for many sites, changed without a restart; the default unless the farm runs with --no-static-pools)';
export const NO_POOLED_HELP = 'static sites: served by VSs of their own';

/** The API's `pooled` for commander's --pooled / --no-pooled (absent when neither was given). */
export function pooledBody(pooled: boolean | undefined): { pooled?: boolean } {
  return pooled === undefined ? {} : { pooled };
}
