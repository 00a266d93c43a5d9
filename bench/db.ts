// Databases on the one-machine farm (`corral up`, a real child process), run with
// `node --import tsx bench/db.ts` (needs PostgreSQL 15: apt-get install postgresql):
//  1. `corral db create` → the guestbook example (examples/db-app, REPLICAS replicas)
//     bound to it and answering through the router: create, bind + deploy, total;
//  2. a database of SIZE_MB MiB (default 1024): `corral db backup` and `corral db restore
//     --into` times, archive size, and the restored copy verified (row count, checksum).
// Env: SIZE_MB, REPLICAS (3), ROUNDS (3, step 1). Copy the figures into bench/RESULTS.md.
import { cp, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startFarmProcess, ok, removeDir, REPO } from '../test/helpers/farm-process.ts';
import { get } from '../test/helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const SIZE_MB = Number(process.env.SIZE_MB ?? 1024);
const REPLICAS = Number(process.env.REPLICAS ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PG_MODULES = ['pg', 'pg-pool', 'pg-protocol', 'pg-types', 'pg-connection-string', 'pg-int8', 'pgpass', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval', 'split2', 'xtend'];

interface Creds { database: string; user: string; password: string }

const work = await mkdtemp(join(tmpdir(), 'corral-bench-db-'));
const app = join(work, 'db-app');
await cp(join(REPO, 'examples', 'db-app'), app, { recursive: true });
const modules = await realpath(join(REPO, 'node_modules'));
for (const m of PG_MODULES) await cp(join(modules, m), join(app, 'node_modules', m), { recursive: true });
const farm = await startFarmProcess();
const ms = (t0: number) => Math.round(performance.now() - t0);
try {
  await ok(farm.cli(['customer', 'create', 'bench']));
  const pgPort = Number(/PostgreSQL 127\.0\.0\.1:(\d+)/.exec(farm.output())?.[1]);
  console.log(`PostgreSQL on 127.0.0.1:${pgPort}; ${REPLICAS} replicas; ${ROUNDS} rounds; ${SIZE_MB} MiB for backup/restore\n`);

  console.log('round | db create | bind + deploy → serving | total');
  for (let round = 1; round <= ROUNDS; round++) {
    const host = `book${round}.bench.test`;
    const t0 = performance.now();
    await ok(farm.cli(['db', 'create', `book${round}`, '--customer', 'bench']));
    const created = ms(t0);
    await ok(farm.cli(['site', 'create', `book${round}`, '--customer', 'bench', '--kind', 'app', '--command', 'node server.js', '--health', '/health', '--replicas', String(REPLICAS), '--domain', host]));
    await ok(farm.cli(['site', 'set', `book${round}`, '--db', `book${round}`]));
    const t1 = performance.now();
    await ok(farm.cli(['deploy', app, '--site', `book${round}`]));
    await waitFor(async () => (await get(farm.routerUrl, host)).status === 200, { timeoutMs: 60_000, intervalMs: 20, what: 'the guestbook' });
    console.log(`${round} | ${created} ms | ${ms(t1)} ms | ${ms(t0)} ms${round === 1 ? '  (first: PostgreSQL starts, initdb)' : ''}`);
  }

  const creds = (JSON.parse((await ok(farm.cli(['db', 'create', 'big', '--customer', 'bench', '--quota', String(Math.max(1024, SIZE_MB * 2)), '--json']))).stdout) as { credentials: Creds }).credentials;
  const client = new pg.Client({ host: '127.0.0.1', port: pgPort, database: creds.database, user: creds.user, password: creds.password });
  await client.connect();
  const rows = Math.ceil((SIZE_MB * 2 ** 20) / 1100);
  let t = performance.now();
  await client.query('CREATE TABLE filler (id int PRIMARY KEY, body text NOT NULL)');
  for (let from = 1; from <= rows; from += 200_000) {
    // hex of random md5s: an archive about half the table's size, not a run of repeats
    await client.query('INSERT INTO filler SELECT g, (SELECT string_agg(md5(random()::text || g::text || i::text), \'\') FROM generate_series(1, 32) i) FROM generate_series($1::int, $2::int) g', [from, Math.min(rows, from + 199_999)]);
  }
  const size = Number((await client.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s);
  const sum = 'SELECT count(*)::int AS n, md5(string_agg(md5(body), \'\' ORDER BY id)) AS sum FROM filler';
  const expected = (await client.query(sum)).rows[0] as { n: number; sum: string };
  await client.end();
  console.log(`\nfilled ${(size / 2 ** 20).toFixed(0)} MiB (${rows} rows) in ${ms(t)} ms`);

  t = performance.now();
  const backup = JSON.parse((await ok(farm.cli(['db', 'backup', 'big', '--json']))).stdout) as { backup: { id: string; size: number; durationMs: number } };
  console.log(`backup: ${ms(t)} ms (API ${backup.backup.durationMs} ms), archive ${(backup.backup.size / 2 ** 20).toFixed(0)} MiB`);
  t = performance.now();
  const restored = JSON.parse((await ok(farm.cli(['db', 'restore', 'big', '--backup', backup.backup.id, '--into', 'big-copy', '--json']))).stdout) as { credentials: Creds; durationMs: number };
  console.log(`restore --into: ${ms(t)} ms (API ${restored.durationMs} ms)`);
  const copy = new pg.Client({ host: '127.0.0.1', port: pgPort, database: restored.credentials.database, user: restored.credentials.user, password: restored.credentials.password });
  await copy.connect();
  const got = (await copy.query(sum)).rows[0] as { n: number; sum: string };
  await copy.end();
  console.log(`verified: ${got.n === expected.n && got.sum === expected.sum ? 'yes' : 'NO'} (${got.n} rows, checksum ${got.sum})`);
} finally {
  await farm.stop();
  await removeDir(farm.dir);
  await removeDir(work);
}
