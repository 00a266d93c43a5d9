// End to end, as a user: `corral up` with its database service, a customer's database,
// the guestbook example (examples/db-app) on 3 replicas bound to it: writes through the
// router from every replica are all there afterwards, and a credentials rotation rolls the
// site with 0 failed requests. On the namespace runtime, another customer's guest reaches
// PostgreSQL only at its bridge address, and not with the first customer's credentials.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, realpath, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get, requestLoop } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { postgresMissing } from '../src/database/testing.ts';
import { namespaceSkip } from '../src/engine/namespace/testing.ts';

const skip = postgresMissing();
const nsSkip = skip || (await namespaceSkip());
const HOST = 'book.acme.test';
/** pg and what it needs, copied from this repository's node_modules into the releases (`npm install` in real life). */
const PG_MODULES = ['pg', 'pg-pool', 'pg-protocol', 'pg-types', 'pg-connection-string', 'pg-int8', 'pgpass', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval', 'split2', 'xtend'];

interface VsRow { vs: string; site: string; state?: string; runtime?: string }
interface Creds { database: string; user: string; password: string }

async function withPg(dir: string): Promise<void> {
  const from = await realpath(join(REPO, 'node_modules'));
  for (const m of PG_MODULES) await cp(join(from, m), join(dir, 'node_modules', m), { recursive: true });
}

describe('a site with a database', { skip }, () => {
  let farm: FarmProcess;
  let work = '';
  const vsList = async (site: string): Promise<VsRow[]> =>
    (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VsRow[] }).virtualServers.filter((v) => v.site === site);
  const post = async (path: string, body: string) => {
    const res = await request(`${farm.routerUrl}${path}`, { method: 'POST', headers: { host: HOST, 'content-type': 'text/plain' }, body });
    return { status: res.statusCode, json: (await res.body.json()) as { id: string; vs: string } };
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-db-app-'));
    const app = join(work, 'db-app');
    await cp(join(REPO, 'examples', 'db-app'), app, { recursive: true });
    await withPg(app);
    farm = await startFarmProcess();
    assert.match(farm.output(), /database +PostgreSQL 127\.0\.0\.1:\d+/);
    await ok(farm.cli(['customer', 'create', 'acme']));
    const created = JSON.parse((await ok(farm.cli(['db', 'create', 'guestbook', '--customer', 'acme', '--json']))).stdout) as { credentials: Creds };
    assert.match(created.credentials.password, /^[\w-]{20,}$/);
    await ok(farm.cli(['site', 'create', 'book', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health', '--replicas', '3', '--domain', HOST]));
    await ok(farm.cli(['site', 'set', 'book', '--db', 'guestbook']));
    await ok(farm.cli(['deploy', app, '--site', 'book']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('keeps every write made through the router, whichever of the 3 replicas took it', async () => {
    const ids: string[] = [];
    const writers = new Set<string>();
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 30; i++) {
        const r = await post('/entries', `entry ${w}-${i}`);
        assert.equal(r.status, 201);
        ids.push(String(r.json.id));
        writers.add(r.json.vs);
      }
    }));
    assert.equal(writers.size, 3, `written by ${[...writers].join(', ')}`);
    // read back through every replica: each sees all 120
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const r = JSON.parse((await get(farm.routerUrl, HOST, '/entries')).body) as { entries: { id: string; vs: string }[] };
      assert.deepEqual(r.entries.map((e) => String(e.id)).sort(), [...ids].sort());
      seen.add(JSON.parse((await get(farm.routerUrl, HOST)).body).vs as string);
    }
    assert.equal(seen.size, 3);
    const list = (await ok(farm.cli(['db', 'list']))).stdout;
    assert.match(list, /guestbook +acme/);
  });

  it('rotates the credentials with 0 failed requests: the site rolls onto the new login', async () => {
    const before = (await vsList('book')).map((v) => v.vs).sort();
    const oldUser = (JSON.parse((await ok(farm.cli(['db', 'credentials', 'guestbook', '--json']))).stdout) as { credentials: Creds }).credentials.user;
    const loop = requestLoop(farm.routerUrl, HOST, { concurrency: 4 });
    await waitFor(() => loop.result.total > 50, { what: 'traffic' });
    const rotated = JSON.parse((await ok(farm.cli(['db', 'rotate', 'guestbook', '--json']))).stdout) as { credentials: Creds };
    assert.notEqual(rotated.credentials.user, oldUser);
    await waitFor(async () => {
      const now = await vsList('book');
      return now.length === 3 && now.every((v) => !before.includes(v.vs) && v.state === 'ready');
    }, { timeoutMs: 60_000, what: 'the roll onto the new login' });
    const res = await loop.stop();
    assert.ok(res.total > 100, `sent ${res.total}`);
    // a failure names the app's own reason (its request_failed lines), so a CI log says why
    const why = res.failed.length === 0 ? '' : (await farm.cli(['logs', 'book', '--source', 'app', '-n', '400'])).stdout
      .split('\n').filter((l) => /request_failed|pool_error|draining|listening/.test(l)).slice(-20).join('\n');
    assert.deepEqual(res.failed, [], `${res.failed.length} of ${res.total} failed; the app's lines:\n${why}`);
    assert.equal(JSON.parse((await get(farm.routerUrl, HOST)).body).entries, 120);
  });

  it("refuses another customer's site the database, and deletes it only once unbound", async () => {
    await ok(farm.cli(['customer', 'create', 'bolt']));
    const bolt = (await ok(farm.cli(['customer', 'token', 'bolt']))).stdout.trim();
    await ok(farm.cli(['site', 'create', 'intruder', '--kind', 'app', '--command', 'node server.js', '--domain', 'intruder.bolt.test'], { token: bolt }));
    const refused = await farm.cli(['site', 'set', 'intruder', '--db', 'guestbook'], { token: bolt });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /database guestbook not found/);
    for (const args of [['db', 'credentials', 'guestbook'], ['db', 'backup', 'guestbook'], ['db', 'delete', 'guestbook', '--yes']]) {
      const r = await farm.cli(args, { token: bolt });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /database guestbook not found/);
    }
    const noToken = await farm.cli(['db', 'list'], { token: 'crl_wrong' });
    assert.equal(noToken.code, 1);
    const bad = await farm.cli(['db', 'create', 'Bad Name'], { token: bolt });
    assert.match(bad.stderr, /body\.name must be/);
    const busy = await farm.cli(['db', 'delete', 'guestbook', '--yes']);
    assert.match(busy.stderr, /used by site\(s\) book/);
  });

  describe('on the namespace runtime', { skip: nsSkip }, () => {
    let outside: Server;
    before(async () => {
      // a service on the host, on every address (as sshd would be): no guest may reach it
      outside = createServer((s) => s.end('host service\n'));
      await new Promise<void>((r) => outside.listen(0, '0.0.0.0', r));
    });
    after(() => new Promise<void>((r) => outside.close(() => r())));

    it("lets B's guest reach PostgreSQL only at its bridge address, and not A's database", async () => {
      assert.equal((await vsList('book'))[0]?.runtime, 'namespace');
      const acme = (JSON.parse((await ok(farm.cli(['db', 'credentials', 'guestbook', '--json']))).stdout) as { credentials: Creds }).credentials;
      const pgPort = Number(/PostgreSQL 127\.0\.0\.1:(\d+)/.exec(farm.output())![1]);
      const bolt = (await ok(farm.cli(['customer', 'token', 'bolt']))).stdout.trim();
      await ok(farm.cli(['db', 'create', 'bolt-db'], { token: bolt }));
      const probe = join(work, 'probe');
      await mkdir(probe, { recursive: true });
      await writeFile(join(probe, 'server.js'), PROBE);
      await writeFile(join(probe, 'package.json'), '{"type":"module"}\n');
      await withPg(probe);
      await ok(farm.cli(['site', 'create', 'probe', '--kind', 'app', '--command', 'node server.js', '--domain', 'probe.bolt.test',
        '--env', `PG_REAL_PORT=${pgPort}`, '--env', `OUTSIDE_PORT=${(outside.address() as { port: number }).port}`,
        '--env', `OTHER_DB=${acme.database}`], { token: bolt }));
      await ok(farm.cli(['site', 'set', 'probe', '--db', 'bolt-db'], { token: bolt }));
      await ok(farm.cli(['deploy', probe, '--site', 'probe'], { token: bolt }));
      const r = await waitFor(async () => {
        const x = await get(farm.routerUrl, 'probe.bolt.test', '/probe');
        return x.status === 200 ? (JSON.parse(x.body) as Record<string, string>) : undefined;
      }, { timeoutMs: 30_000, what: 'the probe' });
      assert.match(r.pghost!, /^10\.213\.\d+\.1$/, 'PGHOST is the bridge address');
      assert.equal(r.bridgeDb, 'open');
      assert.notEqual(r.bridgeRealPort, 'open', 'PostgreSQL itself, on the bridge address');
      assert.notEqual(r.loopbackRealPort, 'open', "PostgreSQL on the guest's own loopback");
      assert.notEqual(r.bridgeOutside, 'open', 'another host service on the bridge address');
      assert.equal(r.ownSql, 'ok');
      assert.ok(!r.catalog!.includes('guestbook') && !r.catalog!.includes('acme'), r.catalog);
      assert.equal(r.otherLogin, '28000', "B's credentials on A's database, from B's guest: refused by pg_hba");
    });
  });
});

/** B's probe: what its guest can reach, and what its SQL can see. */
const PROBE = `
import http from 'node:http';
import net from 'node:net';
import pg from 'pg';
const tcp = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port), timeout: 2000 });
  s.once('connect', () => { s.destroy(); resolve('open'); });
  s.once('timeout', () => { s.destroy(); resolve('timeout'); });
  s.once('error', (e) => resolve(e.code));
});
async function probe() {
  const out = { pghost: process.env.PGHOST };
  out.bridgeDb = await tcp(process.env.PGHOST, process.env.PGPORT);
  out.bridgeRealPort = await tcp(process.env.PGHOST, process.env.PG_REAL_PORT);
  out.loopbackRealPort = await tcp('127.0.0.1', process.env.PG_REAL_PORT);
  out.bridgeOutside = await tcp(process.env.PGHOST, process.env.OUTSIDE_PORT);
  const own = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await own.connect();
  const rows = [];
  for (const q of ['SELECT datname AS n FROM pg_database', 'SELECT rolname AS n FROM pg_roles', 'SELECT datname AS n FROM pg_stat_activity']) rows.push(...(await own.query(q)).rows.map((r) => r.n));
  out.catalog = rows.join(',');
  out.ownSql = 'ok';
  await own.end();
  const other = new pg.Client({ database: process.env.OTHER_DB });
  other.on('error', () => {});
  out.otherLogin = await other.connect().then(() => 'connected', (e) => e.code ?? e.message);
  await other.end().catch(() => {});
  return out;
}
http.createServer((req, res) => {
  if (req.url !== '/probe') { res.end('ok'); return; }
  probe().then((o) => res.end(JSON.stringify(o)), (e) => { res.statusCode = 500; res.end(String(e.stack)); });
}).listen(Number(process.env.PORT), process.env.HOST);
`;
