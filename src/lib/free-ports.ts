// Distinct free TCP ports: each bound once on port 0, then released for a process to take
// (etcd, PostgreSQL, pebble, a benchmark's router, a process-runtime VS). Another process may take one between
// the release and its use; the callers that start servers on them say so if it happens.
import { createServer, type AddressInfo, type Server } from 'node:net';

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => resolve(srv));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** One port that was free on host a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
