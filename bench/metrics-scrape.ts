// What a Prometheus scrape of a router cluster's primary costs at N sites (default 10,000),
// each site with one request's series, as `corral up`'s primary holds them after every site
// answered once (the density bench): the text made whole and written at once (`whole`:
// `res.end(await registry.metrics())`, how /metrics answered before, with today's way of
// making the text: its pieces joined), against the text written piece by piece (`pieces`:
// lib/metrics-scrape.ts sendScrape). Each way runs in its
// own process (a fresh heap) serving /metrics on loopback; the bench scrapes it ROUNDS
// times, one after the other, and prints the scrape's wall time, the server's CPU per scrape,
// its peak RSS and its V8 heap's growth, and the ratios pieces ÷ whole.
// Usage: node --import tsx bench/metrics-scrape.ts [N]    (ROUNDS=5)
import { fork } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { createClusterStats } from '../src/router/cluster/cluster-stats.ts';
import { sendScrape } from '../src/lib/metrics-scrape.ts';
import { median } from './density/samples.ts';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

interface Figures {
  way: string;
  bytes: number;
  wallMs: number[];
  cpuMs: number[];
  peakRssMiB: number;
  heapGrowthMiB: number;
}

if (process.env.SCRAPE_WAY) await serveOnce(process.env.SCRAPE_WAY);
else await main();

async function main(): Promise<void> {
  console.log(`metrics scrape bench: ${N} sites, ${ROUNDS} scrapes per way, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: Figures[] = [];
  for (const way of ['whole', 'pieces', 'whole', 'pieces']) results.push(await runWay(way)); // interleaved, twice
  const by = (way: string) => results.filter((r) => r.way === way);
  const med = (rs: Figures[], f: (r: Figures) => number[]) => median(rs.flatMap(f));
  for (const way of ['whole', 'pieces']) {
    const rs = by(way);
    console.log(`${way.padEnd(7)} ${(rs[0]!.bytes / 2 ** 20).toFixed(1)} MiB of text | scrape p50 ${med(rs, (r) => r.wallMs).toFixed(0)} ms | server CPU ${med(rs, (r) => r.cpuMs).toFixed(0)} ms per scrape | peak RSS ${rs.map((r) => r.peakRssMiB.toFixed(0)).join(', ')} MiB | heap growth ${rs.map((r) => r.heapGrowthMiB.toFixed(0)).join(', ')} MiB`);
  }
  const [w, p] = [by('whole'), by('pieces')];
  const ratio = (f: (r: Figures) => number[]) => (med(p, f) / med(w, f)).toFixed(2);
  const peak = (rs: Figures[]) => Math.max(...rs.map((r) => r.peakRssMiB));
  console.log(`pieces ÷ whole: scrape time ${ratio((r) => r.wallMs)} ×, server CPU ${ratio((r) => r.cpuMs)} ×, peak RSS ${(peak(p) / peak(w)).toFixed(2)} ×`);
}

function runWay(way: string): Promise<Figures> {
  return new Promise((ok, fail) => {
    const child = fork(fileURLToPath(import.meta.url), [String(N)], { env: { ...process.env, SCRAPE_WAY: way }, execArgv: ['--import', 'tsx'] });
    child.once('message', (m) => ok(m as Figures));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? undefined : fail(new Error(`${way}: exit ${code}`))));
  });
}

/** The child: hold N sites' series as a primary does, serve /metrics one way, scrape it ROUNDS times. */
async function serveOnce(way: string): Promise<void> {
  const stats = createClusterStats();
  const endpoints = 100; // pooled static hosting: 100 sites per pool VS
  for (let i = 0; i < N; i++) {
    const site = `s${i}`;
    const endpoint = `pool-${i % endpoints}`;
    stats.report(1, {}, {
      corral_router_upstream_requests_total: [[[site, endpoint, '2xx'], [1]]],
      corral_router_upstream_duration_seconds: [[[site, endpoint], [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0008]]],
      corral_site_requests_total: [[[site, '2xx'], [1]]],
      corral_site_request_duration_seconds: [[[site], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0009]]],
    });
  }
  const registry = stats.metricsRegistry();
  const server = createServer((req, res) => {
    if (way === 'whole') void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    else void sendScrape(res, [registry], { onError: (err) => console.error(err) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = getHeapStatistics().total_heap_size;
  let heapPeak = heapBefore;
  const watch = setInterval(() => (heapPeak = Math.max(heapPeak, getHeapStatistics().total_heap_size)), 5);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  let bytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    bytes = await scrape(port);
    wallMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0); // the client's reads are in this process too: a few ms of the figure
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  clearInterval(watch);
  server.close();
  const figures: Figures = { way, bytes, wallMs, cpuMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, heapGrowthMiB: (heapPeak - heapBefore) / 2 ** 20 };
  process.send!(figures, () => process.exit(0));
}

function scrape(port: number): Promise<number> {
  return new Promise((ok, fail) => {
    request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => ok(n));
      res.on('error', fail);
    }).on('error', fail).end();
  });
}
