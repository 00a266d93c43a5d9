// What GET /v1/status/stream costs the controller on a farm of N pooled static sites: a real
// SQLite store filled with the farm in steady state (as bench/controller-idle.ts fills it), the
// controller's real API listening on loopback, and CLIENTS admin streams (and CUSTOMERS
// customer streams, one each for c0, c1, …) read by a plain HTTP client (bytes and events
// counted, nothing parsed). Then:
//   (a) idle for SECONDS: the process's CPU (% of one core), events and bytes sent;
//   (b) a burst of BURST site changes (each site's record rewritten, one store write each, as
//       fast as the store takes them, or spread evenly over BURST_SECONDS): CPU until every
//       client saw the last change, events and bytes sent, and the time from the last write to
//       each admin client seeing it (worst client); the process's RSS after it.
// The clients run in the same process; they only count bytes, so the CPU is the controller's.
//
//   node --import tsx bench/status-stream.ts [N …]    (default 10000; env SECONDS=5, CLIENTS=2, CUSTOMERS=0, BURST=1000, BURST_SECONDS=0, PER_CUSTOMER=100, ENGINES=1)
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildController, ensureAdminToken, issueToken, openBlobStore } from '../src/controller/index.ts';
import { keys, type Site } from '../src/model/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { waitFor } from '../src/lib/wait.ts';
import { openSqliteStore, type Store } from '../src/store/index.ts';
import { pooledStaticSite, writeSteadyFarm } from './reconcile/steady-farm.ts';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CLIENTS = Number(process.env.CLIENTS ?? 2);
const CUSTOMERS = Number(process.env.CUSTOMERS ?? 0);
const BURST = Number(process.env.BURST ?? 1000);
const BURST_SECONDS = Number(process.env.BURST_SECONDS ?? 0);
const PER_CUSTOMER = Number(process.env.PER_CUSTOMER ?? 100);
const ENGINES = Number(process.env.ENGINES ?? 1);

console.log(`status stream: pooled static sites, ${PER_CUSTOMER} per customer, ${ENGINES} engine(s), ${CLIENTS} admin and ${CUSTOMERS} customer stream(s); idle ${SECONDS} s; burst of ${BURST} site writes${BURST_SECONDS > 0 ? ` over ${BURST_SECONDS} s` : ''}`);
console.log('sites | first view ms | view KiB | idle CPU % | idle events | idle KiB | burst CPU s | burst events | burst MiB | writes s | last write → seen ms | RSS MiB');
for (const n of SIZES.length > 0 ? SIZES : [10_000]) {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-stream-'));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  const app = await buildController({ store, blobs: await openBlobStore(join(dir, 'blobs')), log: silentLogger });
  const clients: StreamClient[] = [];
  try {
    await writeSteadyFarm(store, { sites: n, engines: ENGINES, maxVirtualServers: n + 16, plan: { drainDelayMs: 1000, engineLostGraceMs: 10_000 }, steps: 8, site: (i, name, now) => pooledStaticSite(i, name, now, PER_CUSTOMER) });
    const { token } = await ensureAdminToken(store, dir);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const opened = Date.now();
    for (let i = 0; i < CLIENTS; i++) clients.push(await openStream(base, token));
    const admins = clients.slice();
    for (let i = 0; i < CUSTOMERS; i++) clients.push(await openStream(base, await issueToken(store, { role: 'customer', customer: `c${i}`, name: 'bench' })));
    await waitFor(() => clients.every((c) => c.events >= 1), { what: 'the first view on every stream', timeoutMs: 120_000 });
    const firstMs = Date.now() - opened;
    const viewKiB = clients[0]!.bytes / 1024;

    // (a) idle
    await new Promise((r) => setTimeout(r, 1_000)); // the first view settled, off the window
    let mark = snapshot(clients);
    await new Promise((r) => setTimeout(r, SECONDS * 1_000)); // the measuring window, not a wait for readiness
    const idle = since(mark, clients);

    // (b) a burst of writes, the last one's updatedAt the marker the clients wait for
    const stamp = (k: number) => new Date(Date.UTC(2031, 0, 1) + k).toISOString();
    const last = stamp(BURST - 1);
    for (const c of admins) c.watchFor(last);
    mark = snapshot(clients);
    const writing = Date.now();
    await writeBurst(store, n, stamp);
    const written = Date.now();
    await waitFor(() => admins.every((c) => c.seenAt !== undefined), { what: 'every admin stream to carry the last change', timeoutMs: 300_000, intervalMs: 5 });
    const seenMs = Math.max(...admins.map((c) => (c.seenAt as number) - written));
    const burst = since(mark, clients);
    console.log([
      String(n).padStart(5), String(firstMs).padStart(13), viewKiB.toFixed(0).padStart(8),
      ((idle.cpuSeconds / SECONDS) * 100).toFixed(1).padStart(10), String(idle.events).padStart(11), (idle.bytes / 1024).toFixed(0).padStart(8),
      burst.cpuSeconds.toFixed(2).padStart(11), String(burst.events).padStart(12), (burst.bytes / 2 ** 20).toFixed(1).padStart(9), ((written - writing) / 1000).toFixed(1).padStart(8), String(seenMs).padStart(20), (process.memoryUsage().rss / 2 ** 20).toFixed(0).padStart(7),
    ].join(' | '));
  } finally {
    for (const c of clients) c.close();
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface StreamClient {
  bytes: number;
  events: number;
  /** When the stream first carried the text given to watchFor. */
  seenAt?: number;
  watchFor(text: string): void;
  close(): void;
}

/** A stream read chunk by chunk: bytes and `event:` lines counted, one text looked for (across chunk edges). */
async function openStream(base: string, token: string): Promise<StreamClient> {
  const ctl = new AbortController();
  const res = await fetch(`${base}/v1/status/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const eventLine = Buffer.from('event: ');
  let wanted: Buffer | undefined;
  let tail = Buffer.alloc(0);
  const client: StreamClient = {
    bytes: 0,
    events: 0,
    watchFor(text) {
      wanted = Buffer.from(text);
      client.seenAt = undefined;
    },
    close: () => ctl.abort(),
  };
  void (async () => {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      client.bytes += chunk.length;
      const buf = Buffer.concat([tail, chunk]);
      for (let at = buf.indexOf(eventLine, 0); at >= 0; at = buf.indexOf(eventLine, at + 1)) if (at + eventLine.length > tail.length) client.events++;
      if (wanted && client.seenAt === undefined && buf.includes(wanted)) client.seenAt = Date.now();
      tail = buf.subarray(Math.max(0, buf.length - 64));
    }
  })().catch(() => {});
  return client;
}

interface Mark {
  cpu: NodeJS.CpuUsage;
  bytes: number;
  events: number;
}

function snapshot(clients: StreamClient[]): Mark {
  return { cpu: process.cpuUsage(), bytes: sum(clients, 'bytes'), events: sum(clients, 'events') };
}

function since(mark: Mark, clients: StreamClient[]): { cpuSeconds: number; bytes: number; events: number } {
  const cpu = process.cpuUsage(mark.cpu);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes: sum(clients, 'bytes') - mark.bytes, events: sum(clients, 'events') - mark.events };
}

function sum(clients: StreamClient[], field: 'bytes' | 'events'): number {
  return clients.reduce((a, c) => a + c[field], 0);
}

/** BURST site records rewritten one by one (spread over the farm; over BURST_SECONDS if set), each with updatedAt = stamp(k). */
async function writeBurst(store: Store, n: number, stamp: (k: number) => string): Promise<void> {
  const step = Math.max(1, Math.floor(n / BURST));
  const started = Date.now();
  for (let k = 0; k < BURST; k++) {
    const due = started + (k / BURST) * BURST_SECONDS * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now())); // pacing the writes
    const name = `site${String((k * step) % n).padStart(6, '0')}`;
    const kv = await store.get(keys.site(name));
    if (!kv) throw new Error(`no site ${name}`);
    await store.put(kv.key, JSON.stringify({ ...(JSON.parse(kv.value) as Site), updatedAt: stamp(k) }));
  }
}
