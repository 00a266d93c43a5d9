// Asks a pool VS's web runtime which table it serves: GET /.corral/sites with the pool's key;
// with `min`, the runtime answers once it serves that version or a later one (at most its
// SITES_WAIT_MS, 5 s, then what it has), so the engine learns of a swap when it happens.

import http from 'node:http';

export interface ServedTable {
  version: number | null;
  sites: Record<string, string>;
}

/** How long a probe with `min` may take: the runtime's own wait (5 s) and some slack. */
const WAITING_PROBE_TIMEOUT_MS = 7_000;

/**
 * The table the runtime at address:port has loaded (with `min`: once it is that version or
 * later, or the runtime's wait is over), or undefined when it cannot say (not up, timeout, bad answer).
 */
export function probeTable(address: string, port: number, key: string, opts: { min?: number; timeoutMs?: number } = {}): Promise<ServedTable | undefined> {
  const timeoutMs = opts.timeoutMs ?? (opts.min === undefined ? 2_000 : WAITING_PROBE_TIMEOUT_MS);
  const path = opts.min === undefined ? '/.corral/sites' : `/.corral/sites?min=${opts.min}`;
  return new Promise((resolve) => {
    const req = http.get({ host: address, port, path, headers: { 'x-corral-key': key, host: 'pool' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          const v = JSON.parse(body) as ServedTable;
          resolve(res.statusCode === 200 && typeof v === 'object' && v !== null && typeof v.sites === 'object' ? v : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
