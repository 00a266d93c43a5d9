// Asks a pool VS's web runtime which table it serves: GET /.corral/sites with the pool's key.

import http from 'node:http';

export interface ServedTable {
  version: number | null;
  sites: Record<string, string>;
}

/** The table the runtime at address:port has loaded, or undefined when it cannot say (not up, timeout, bad answer). */
export function probeTable(address: string, port: number, key: string, timeoutMs = 2_000): Promise<ServedTable | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: address, port, path: '/.corral/sites', headers: { 'x-corral-key': key, host: 'pool' }, agent: false }, (res) => {
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
