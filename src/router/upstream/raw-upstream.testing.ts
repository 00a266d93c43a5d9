// Test helper: a raw TCP server on 127.0.0.1 (a backend that speaks bytes, not node:http).
import type { AddressInfo, Server } from 'node:net';
import type { TestContext } from 'node:test';

export function listen(t: TestContext, server: Server): Promise<number> {
  t.after(() => server.close());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
