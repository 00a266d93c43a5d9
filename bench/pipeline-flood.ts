// One hostile HTTP/1.1 client that pipelines requests and reads no reply: the router's
// memory while it does. The router runs in this process (buildRouter from src/), in front of
// one Node backend (bench/router-backend.mjs, 1 KiB replies, its own process); the client
// writes batches of 1,000 requests as fast as the router takes them and never reads. Printed
// each second: requests written, the router process's RSS, heap and array buffers. A front
// that forwards and buffers replies nobody reads grows here without bound; a bounded one
// stays flat after the first second.
//
//   node --import tsx bench/pipeline-flood.ts            (env FRONT=raw|node SECONDS=8 POST=1)
// FRONT=node runs node:http's front (rawFront off); POST=1 sends a 1-byte body with each
// request, which the raw front hands to node:http.
import { spawn } from 'node:child_process';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '../src/lib/free-ports.ts';
import { waitFor } from '../src/lib/wait.ts';
import { buildRouter } from '../src/router/router.ts';

const seconds = Number(process.env.SECONDS ?? 8);
const rawFront = (process.env.FRONT ?? 'raw') === 'raw';
const request = process.env.POST ? 'POST / HTTP/1.1\r\nhost: s.test\r\ncontent-length: 1\r\n\r\nx' : 'GET / HTTP/1.1\r\nhost: s.test\r\n\r\n';

const [backendPort] = await freePorts(1);
const backend = spawn(process.execPath, [join(import.meta.dirname, 'router-backend.mjs'), String(backendPort)], { stdio: 'inherit' });
process.on('exit', () => backend.kill());
await waitFor(
  () =>
    new Promise<boolean>((resolve) => {
      const s = connect(backendPort!, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    }),
  { what: 'the backend' },
);

const router = buildRouter({ rawFront });
router.setRoutes([{ site: 's', domains: ['s.test'], endpoints: [{ address: '127.0.0.1', port: backendPort!, vs: 'b', release: 'v1' }], updatedAt: new Date(0).toISOString() }]);
await new Promise<void>((resolve) => router.server.listen(0, '127.0.0.1', resolve));
const port = (router.server.address() as AddressInfo).port;

const client = connect(port, '127.0.0.1');
client.pause(); // reads nothing, ever
let closed = false;
client.on('error', () => (closed = true));
client.on('close', () => (closed = true));
const batch = request.repeat(1_000);
let written = 0;
const pump = (): void => {
  while (!closed) {
    written += 1_000;
    if (!client.write(batch)) return void client.once('drain', pump);
  }
};
client.on('connect', pump);

console.log(`front ${rawFront ? 'raw' : 'node'}, ${process.env.POST ? 'POST with a 1-byte body' : 'GET'}, 1 KiB replies, load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
const mb = (n: number): string => (n / 1048576).toFixed(0).padStart(5);
for (let s = 1; s <= seconds; s++) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const m = process.memoryUsage();
  console.log(`${String(s).padStart(3)} s  written ${String(written).padStart(7)}  rss ${mb(m.rss)} MiB  heap ${mb(m.heapUsed)} MiB  arrayBuffers ${mb(m.arrayBuffers)} MiB${closed ? '  (connection closed by the router)' : ''}`);
}
client.destroy();
await router.destroy();
backend.kill();
