// Pooled static hosting flags: `--static-pools` (corral up, corral controller: the farm's
// default for new static sites) and `--pooled` / `--no-pooled` (site create, site set).

export const STATIC_POOLS_HELP = 'new static sites are pooled: one shared web-runtime VS per customer per engine serves them all (site create --no-pooled opts out)';
export const POOLED_HELP = 'static sites: served by the customer\'s shared pool VS on each engine (one web runtime for many sites, changed without a restart)';
export const NO_POOLED_HELP = 'static sites: served by VSs of their own (the default unless the farm runs with --static-pools)';

/** The API's `pooled` for commander's --pooled / --no-pooled (absent when neither was given). */
export function pooledBody(pooled: boolean | undefined): { pooled?: boolean } {
  return pooled === undefined ? {} : { pooled };
}
