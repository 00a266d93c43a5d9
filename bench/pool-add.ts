// Static site added to a running pool → first 200, run with `node --import tsx bench/pool-add.ts [R]`
// (build first: `npm run build`; it runs `corral up --static-pools` from dist/).
// A real `corral up --static-pools` in a temp dir (one engine), a customer with WARM pooled
// sites (default 3) answering, so its pool VS runs; then R rounds (default 20), one at a time:
// create a new pooled static site of that customer and upload a small release of its own
// (the API call `corral deploy` makes), then GET / through the router on a new connection
// every POLL_MS (default 5; faster polling loads the machine it measures) until it answers 200 with the site's own page. Prints, as
// median / p90 / min / max:
//  (a) deploy API call returned → first 200 (client clock);
//  (b) release active in the store (its `createdAt`, written in the same call) → first 200;
//  and the path split into stages from the farm's JSON log lines (`time`, ms): the controller's
//  pass that put the pool's assignment, the engine taking it (`vs.pool_changed`), the table
//  written (`vs.pool_table_written`), the web runtime loading it (`table_loaded`, the pool VS's
//  own log), the engine seeing it loaded (`vs.pool_table_loaded`), the controller's pass that
//  put the site's route, the router worker's route update (`routes.updated`), first 200.
// Then CLI rounds (default 5) through the CLI as a user runs it, `corral deploy <dir> --site <new>`
// (it follows the rollout until the router serves the release): its wall time, and when the
// first 200 came (polled meanwhile) — what the CLI's own wait adds after it.
// Environment: WARM (3), POLL_MS (5), CLI (5), RUNTIME (process|namespace, default process),
// KEEP_LOGS=<folder> (copy the farm's logs there before its temp dir is removed).
// Smoke figures on a busy machine say little; the record is made on a quiet one.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../src/lib/wait.ts';
import { ok, removeDir, startFarmProcess } from '../test/helpers/farm-process.ts';
import { farmApi } from './density/farm-api.ts';
import { routerGet } from '../test/helpers/http.ts';
import { int } from './density/samples.ts';
import { marker, singleFileTarball, sitePage } from './density/site-tarball.ts';
import { linkSplit, parseLines, stagesOf, STAGES, type LogLine } from './pool-add/stages.ts';

const R = int(process.argv[2] ?? process.env.R, 20);
const WARM = int(process.env.WARM, 3);
const POLL_MS = int(process.env.POLL_MS, 5);
const CLI = int(process.env.CLI, 5);
const RUNTIME = process.env.RUNTIME ?? 'process';
const CUSTOMER = 'pooladd';
const host = (site: string) => `${site}.pool-add.test`;

console.log(`pool-add bench: ${R} rounds, ${WARM} sites warm in the pool first, ${RUNTIME} runtime, router polled every ${POLL_MS} ms`);
const farm = await startFarmProcess({
  extraArgs: ['--runtime', RUNTIME, '--no-databases', '--static-pools'],
  env: { CORRAL_LOG_LEVEL: 'info' },
});
const api = farmApi(farm.apiUrl, farm.token);
const rounds: { site: string; returnedAt: number; activeAt: number; firstAt: number; polls: number }[] = [];
try {
  await api.call('POST', '/v1/customers', { name: CUSTOMER });
  const warm = Array.from({ length: WARM }, (_, i) => `warm${i}`);
  for (const site of warm) await deploy(site);
  for (const site of warm) await waitFor(() => answers(site), { timeoutMs: 120_000, what: `${site} answering` });
  console.log(`pool running with ${WARM} sites`);

  for (let i = 0; i < R; i++) {
    const site = `new${i}`;
    const { returnedAt, activeAt } = await deploy(site);
    let polls = 0;
    await waitFor(() => (polls++, answers(site)), { intervalMs: POLL_MS, timeoutMs: 60_000, what: `${site} to answer` });
    rounds.push({ site, returnedAt, activeAt, firstAt: Date.now(), polls });
  }

  console.log(`\n${R} rounds (ms)              median    p90    min    max`);
  row('(a) deploy returned → 200', rounds.map((r) => r.firstAt - r.returnedAt));
  row('(b) release active → 200', rounds.map((r) => r.firstAt - r.activeAt));
  row('    router polls per round', rounds.map((r) => r.polls));
  await printStages();
  if (CLI > 0) await cliRounds();
} catch (err) {
  process.exitCode = 1;
  console.error(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await farm.stop();
  if (process.env.KEEP_LOGS) await cp(join(farm.dir, 'logs'), process.env.KEEP_LOGS, { recursive: true });
  await removeDir(farm.dir);
}

async function deploy(site: string): Promise<{ returnedAt: number; activeAt: number }> {
  await api.call('POST', '/v1/sites', { name: site, customer: CUSTOMER, kind: 'static', pooled: true, domains: [host(site)] });
  const res = await fetch(`${farm.apiUrl}/v1/sites/${site}/releases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/gzip' },
    body: singleFileTarball('index.html', sitePage(site)),
  });
  const body = (await res.json()) as { release: { createdAt: string } };
  const returnedAt = Date.now();
  if (!res.ok) throw new Error(`upload ${site}: ${res.status} ${JSON.stringify(body)}`);
  return { returnedAt, activeAt: Date.parse(body.release.createdAt) };
}

/** `corral deploy` of a new pooled site, as a user runs it: its wall time against the first 200 (polled meanwhile). */
async function cliRounds(): Promise<void> {
  const wall: number[] = [];
  const first: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < CLI; i++) {
    const site = `cli${i}`;
    const dir = join(farm.dir, 'cli-src', site);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.html'), sitePage(site));
    await api.call('POST', '/v1/sites', { name: site, customer: CUSTOMER, kind: 'static', pooled: true, domains: [host(site)] });
    const t0 = Date.now();
    const deploy = ok(farm.cli(['deploy', dir, '--site', site]));
    deploy.catch(() => {}); // awaited below: a failure must not go unhandled while the router is polled
    const firstAt = await waitFor(async () => ((await answers(site)) ? Date.now() : undefined), { intervalMs: POLL_MS, timeoutMs: 60_000, what: `${site}'s first 200 through the router` });
    await deploy;
    const end = Date.now();
    wall.push(end - t0);
    first.push(firstAt - t0);
    after.push(end - firstAt);
  }
  console.log(`
\`corral deploy <dir> --site <new pooled site>\`, ${CLI} rounds (ms)  median    p90    min    max`);
  row('  command start → it returned', wall);
  row('  command start → first 200', first);
  row('  first 200 → command returned', after);
}

async function answers(site: string): Promise<boolean> {
  const r = await routerGet(farm.routerUrl, host(site), false);
  return r.status === 200 && r.body.includes(marker(site));
}

/** Each round's stages from the farm's log lines: corral.log, the router workers' logs, the pool VS's own log. */
async function printStages(): Promise<void> {
  const logDir = join(farm.dir, 'logs');
  const files = [
    ...(await readdir(logDir)).filter((f) => f.endsWith('.log')).map((f) => join(logDir, f)),
    ...(await readdir(join(farm.dir, 'engine', 'logs')).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).map((f) => join(farm.dir, 'engine', 'logs', f)),
  ];
  const lines: LogLine[] = (await Promise.all(files.map(async (f) => parseLines(await readFile(f, 'utf8'))))).flat().sort((a, b) => a.time - b.time);
  const per = rounds.map((r) => stagesOf(lines, r.site, r.activeAt, r.firstAt));
  console.log(`\nstages (ms from the previous one; log times; "-" not found)      median    p90    min    max`);
  for (const [i, name] of STAGES.entries()) {
    const xs = per.map((p) => p[i]).filter((x): x is number => x !== undefined);
    row(`  ${name}`.padEnd(62), xs, per.length - xs.length);
  }
  const splits = rounds.map((r) => linkSplit(lines, r.activeAt, r.firstAt)).filter((x) => x !== undefined);
  row('    of which: fetch, unpack, hard-link (linkMs)'.padEnd(62), splits.map((x) => x.linkMs), rounds.length - splits.length);
  row('    of which: table written (tableMs)'.padEnd(62), splits.map((x) => x.tableMs), rounds.length - splits.length);
}

function row(label: string, xs: number[], missing = 0): void {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(0) : '-');
  console.log(`${label.padEnd(30)} ${q(0.5).padStart(6)} ${q(0.9).padStart(6)} ${(s.length ? s[0]!.toFixed(0) : '-').padStart(6)} ${(s.length ? s.at(-1)!.toFixed(0) : '-').padStart(6)}${missing ? `  (${missing} not found)` : ''}`);
}

