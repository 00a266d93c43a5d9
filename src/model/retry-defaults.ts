// The router's retry settings for a site that sets none (Route.retry): the router applies
// them (router/policy/retry-budget.ts, router/options.ts) and the CLI states them (cli/commands/retry-flags.ts).

export const RETRY_DEFAULTS = Object.freeze({
  /** Retries may add at most this fraction of a site's requests over the window. */
  budgetRatio: 0.2,
  /** Retries allowed in any one second whatever the budget. */
  minRetriesPerSecond: 10,
  /** The budget's sliding window, in whole seconds. */
  budgetWindowSeconds: 10,
  /** The router's per-try timeout (its `perTryTimeoutMs` option) for a site without one. */
  perTryTimeoutMs: 5000,
});
