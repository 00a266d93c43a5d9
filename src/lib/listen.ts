// Listen on port:host and resolve with the bound port (port 0 picks a free one); a failure
// to bind (EADDRINUSE, EACCES) rejects instead of being thrown as an 'error' event.

import type { AddressInfo } from 'node:net';

export interface Listenable {
  listen(port: number, host: string, cb: () => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  address(): unknown;
}

export function listenOn(server: Listenable, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
