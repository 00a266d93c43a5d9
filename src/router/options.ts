// The router's options: typed value → defaults → checks → frozen. Unknown keys are
// rejected so a misspelt option fails loudly instead of being ignored.

import { silentLogger, type Logger } from '../lib/log.ts';

export interface RouterOptions {
  log?: Logger;
  /** Trust X-Forwarded-* from the client (a load balancer sits in front). Default false. */
  trustProxy?: boolean;
  /** How long an endpoint whose connection failed is skipped. Default 3000 ms. */
  ejectMs?: number;
  /** Upstream TCP connect timeout. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Time for the upstream to send response headers. Default 60 000 ms. */
  headersTimeoutMs?: number;
  /** Longest silence inside an upstream response body; 0 disables. Default 300 000 ms. */
  bodyTimeoutMs?: number;
  /** close() waits this long for open connections, then destroys them. Default 10 000 ms. */
  drainTimeoutMs?: number;
}

export type RouterConfig = Readonly<Required<RouterOptions>>;

const DEFAULTS: Omit<RouterConfig, 'log'> = {
  trustProxy: false,
  ejectMs: 3000,
  connectTimeoutMs: 3000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 300_000,
  drainTimeoutMs: 10_000,
};

const DURATIONS = ['ejectMs', 'connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs', 'drainTimeoutMs'] as const;

export function routerConfig(opts: RouterOptions = {}): RouterConfig {
  for (const key of Object.keys(opts)) {
    if (key !== 'log' && !(key in DEFAULTS)) throw new TypeError(`unknown router option "${key}"`);
  }
  const config = { ...DEFAULTS, log: silentLogger, ...stripUndefined(opts) };
  for (const key of DURATIONS) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 0) throw new TypeError(`router option ${key} must be an integer ≥ 0 (ms), got ${String(v)}`);
  }
  if (typeof config.trustProxy !== 'boolean') throw new TypeError('router option trustProxy must be a boolean');
  return Object.freeze(config);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
