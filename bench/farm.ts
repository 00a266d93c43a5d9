// Benchmarks of the one-machine farm, run with `node --import tsx bench/farm.ts`:
//  1. time from `corral deploy examples/static-site` to its first 200 through the router;
//  2. router requests/s against hitting the backend VS directly, same run, with wrk.
// Prints a table; copy the figures into bench/RESULTS.md with the date and machine.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFarmProcess, ok, removeDir, REPO } from '../test/helpers/farm-process.ts';
import { get } from '../test/helpers/http.ts';

const run = promisify(execFile);
const DEPLOYS = Number(process.env.BENCH_DEPLOYS ?? 5);
const WRK_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '64,256').split(',').map(Number);

const farm = await startFarmProcess();
try {
  await ok(farm.cli(['customer', 'create', 'bench']));

  // 1. deploy → first 200
  const times: number[] = [];
  for (let i = 0; i < DEPLOYS; i++) {
    const host = `s${i}.bench.test`;
    await ok(farm.cli(['site', 'create', `s${i}`, '--customer', 'bench', '--domain', host]));
    const started = performance.now();
    const deploy = farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', `s${i}`, '--no-wait']);
    while ((await get(farm.routerUrl, host).catch(() => ({ status: 0 }))).status !== 200) await new Promise((r) => setTimeout(r, 5));
    times.push(performance.now() - started);
    await ok(deploy);
  }
  times.sort((a, b) => a - b);
  console.log(`deploy → first 200 through the router (static example, ${DEPLOYS} deploys): median ${ms(times[Math.floor(times.length / 2)]!)}, min ${ms(times[0]!)}, max ${ms(times.at(-1)!)}`);

  // 2. router vs direct, one app VS
  await ok(farm.cli(['site', 'create', 'app', '--customer', 'bench', '--kind', 'app', '--command', 'node server.js', '--health', '/health', '--domain', 'app.bench.test']));
  await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'app']));
  const vs = (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: { site: string; address: string; port: number }[] })
    .virtualServers.find((v) => v.site === 'app')!;
  const direct = `http://${vs.address}:${vs.port}/`;
  const body = (await get(`http://${vs.address}:${vs.port}`, 'app.bench.test')).body;
  console.log(`backend: examples/node-app, one VS, ${Buffer.byteLength(body)}-byte JSON response; wrk -t2 -d${WRK_SECONDS}s, keep-alive`);
  console.log('connections  target   req/s      p50       p99       router/direct');
  for (const c of CONNECTIONS) {
    const d = await wrk(direct, c);
    const r = await wrk(`${farm.routerUrl}/`, c);
    console.log(`${String(c).padEnd(11)}  direct   ${d.rps.toFixed(0).padEnd(9)}  ${d.p50.padEnd(8)}  ${d.p99.padEnd(8)}`);
    console.log(`${String(c).padEnd(11)}  router   ${r.rps.toFixed(0).padEnd(9)}  ${r.p50.padEnd(8)}  ${r.p99.padEnd(8)}  ${(r.rps / d.rps).toFixed(2)}`);
  }
} finally {
  await farm.stop();
  await removeDir(farm.dir);
}

async function wrk(url: string, connections: number): Promise<{ rps: number; p50: string; p99: string }> {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${WRK_SECONDS}s`, '--latency', '-H', 'Host: app.bench.test', url], { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const p50 = /\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (errors) console.log(`  (wrk ${url}: ${errors[0]})`);
  return { rps, p50, p99 };
}

function ms(v: number): string {
  return `${v.toFixed(0)} ms`;
}
