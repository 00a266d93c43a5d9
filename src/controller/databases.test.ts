// Customer databases through the API, on a real PostgreSQL: who may see and use what,
// what SQL from another customer can see, backups under writes and verified restores,
// scheduled backups and their pruning, quotas, rotations, and hostile input.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestPostgres, postgresMissing, type TestPostgres } from '../database/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type DatabaseRecord, type FarmEvent } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { startBlobGc } from './blob-gc.ts';
import { databaseSecrets } from './database-secrets.ts';
import { LOGIN_DROP_GRACE_MS, startDatabaseUpkeep } from './database-upkeep.ts';
import { createEventLog } from './event-log.ts';
import { startController, type Client, type Harness } from './test-harness.ts';
import { CUSTOMER_DB_CONNECTIONS } from './database-writes.ts';

const skip = postgresMissing();

interface Creds {
  database: string;
  user: string;
  password: string;
}

describe('customer databases', { skip }, () => {
  let pgs: TestPostgres;
  const secrets = databaseSecrets(randomBytes(32));
  before(async () => {
    pgs = await startTestPostgres();
  });
  after(async () => pgs?.close());

  const setup = async (t: TestContext) => {
    const h = await startController(t, { databases: { service: pgs.admin, secrets } });
    const a = await h.customer('acme');
    const b = await h.customer('bolt');
    return { h, a, b };
  };
  const create = async (c: Client, body: Record<string, unknown>): Promise<{ creds: Creds; json: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await c.post('/v1/databases', body);
    assert.equal(res.status, 201, res.body);
    return { creds: res.json.credentials as Creds, json: res.json };
  };
  const login = (c: Creds) => pgs.connect(c.database, c.user, c.password);
  const refused = async (database: string, user: string, password: string) => {
    await assert.rejects(pgs.connect(database, user, password), (err: Error & { code?: string }) => ['28000', '28P01', '42501'].includes(err.code ?? ''));
  };

  it('gives the owner a database and its credentials, and shows nobody else anything of it', async (t) => {
    const { h, a, b } = await setup(t);
    const { creds, json } = await create(a, { name: 'shop' });
    assert.equal(json.database.name, 'shop');
    assert.match(creds.database, /^db_[0-9a-f]{12}$/);
    // listings and reads never carry a password; the store holds it sealed
    for (const res of [await a.get('/v1/databases'), await a.get('/v1/databases/shop'), await h.admin.get('/v1/databases')]) {
      assert.equal(res.status, 200);
      assert.ok(!res.body.includes(creds.password), 'a listing shows the password');
    }
    const stored = (await h.store.get(keys.database('shop')))!.value;
    assert.ok(!stored.includes(creds.password), 'the store holds the password in clear');
    assert.equal((await a.get('/v1/databases/shop/credentials')).json.credentials.password, creds.password);
    // another customer: the same 404 as a database that does not exist
    assert.deepEqual((await b.get('/v1/databases')).json.databases, []);
    for (const path of ['/v1/databases/shop', '/v1/databases/shop/credentials', '/v1/databases/shop/backups']) {
      const res = await b.get(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json.error.message, 'database shop not found');
    }
    for (const res of [await b.post('/v1/databases/shop/rotate'), await b.post('/v1/databases/shop/backups'), await b.delete('/v1/databases/shop'), await b.patch('/v1/databases/shop', { quotaMb: 64 })]) {
      assert.equal(res.status, 404);
    }
    // a name taken answers the same to everyone
    const taken = await b.post('/v1/databases', { name: 'shop' });
    assert.equal(taken.status, 409);
    assert.equal(taken.json.error.code, 'name_unavailable');
    assert.equal((await a.post('/v1/databases', { name: 'shop' })).json.error.message, taken.json.error.message);
  });

  it('refuses hostile input with clear errors and changes nothing', async (t) => {
    const { h, a, b } = await setup(t);
    await create(a, { name: 'shop' });
    const cases: [Client, string, Record<string, unknown>, number, string][] = [
      [a, '/v1/databases', { name: 'Shop' }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'x' }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'a"; DROP DATABASE postgres; --' }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'ok-name', connectionLimit: 0 }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'ok-name', quotaMb: 1 }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'ok-name', backup: { everySeconds: 5, keep: 1 } }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'ok-name', superuser: true }, 400, 'invalid_request'],
      [a, '/v1/databases', { name: 'ok-name', customer: 'bolt' }, 403, 'forbidden'],
      [h.admin, '/v1/databases', { name: 'ok-name' }, 400, 'invalid_request'],
      [h.admin, '/v1/databases', { name: 'ok-name', customer: 'nobody' }, 404, 'not_found'],
      [h.client(undefined), '/v1/databases', { name: 'ok-name' }, 401, 'unauthorized'],
      [h.client('crl_not-a-token'), '/v1/databases', { name: 'ok-name' }, 401, 'unauthorized'],
      [b, '/v1/databases/shop/restore', { backup: 'b0000000000000-000000' }, 404, 'not_found'],
      [a, '/v1/databases/shop/restore', { backup: '../../etc/passwd' }, 400, 'invalid_request'],
      [a, '/v1/databases/shop/restore', { backup: 'b0000000000000-000000' }, 404, 'not_found'],
      [a, '/v1/databases/shop/restore', { backup: 'b0000000000000-000000', into: 'shop' }, 400, 'invalid_request'],
    ];
    for (const [client, path, body, status, code] of cases) {
      const res = await client.post(path, body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json.error.code, code);
      assert.ok(res.json.error.message.length > 10);
    }
    assert.equal((await h.client(undefined).get('/v1/databases/shop/credentials')).status, 401);
    assert.equal((await a.get('/v1/databases/..%2Fshop')).status, 400);
    assert.deepEqual((await h.admin.get('/v1/databases')).json.databases.map((d: { name: string }) => d.name), ['shop']);
    // a site may only be given its own customer's database
    assert.equal((await b.post('/v1/sites', { name: 'web', domains: ['web.bolt.test'], kind: 'static' })).status, 201);
    for (const database of ['shop', 'missing']) {
      const res = await b.patch('/v1/sites/web', { database });
      assert.equal(res.status, 404, res.body);
      assert.equal(res.json.error.message, `database ${database} not found`);
    }
    assert.equal((await b.get('/v1/sites/web')).json.site.database, undefined);
  });

  it("keeps customer B's logins and SQL away from A's database, names and data", async (t) => {
    const { a, b } = await setup(t);
    const { creds: ca } = await create(a, { name: 'acme-orders' });
    const { creds: cb } = await create(b, { name: 'bolt-db' });
    const ac = await login(ca);
    await ac.query("CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('acme-secret')");
    // B's login on A's database, and on the maintenance databases: refused by pg_hba
    await refused(ca.database, cb.user, cb.password);
    await refused('postgres', cb.user, cb.password);
    await refused('template1', cb.user, cb.password);
    // B in its own database: no privilege to widen, nothing of A to read
    const bc = await login(cb);
    const role = (await bc.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = current_user')).rows[0];
    assert.deepEqual(role, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    const everything = JSON.stringify([
      (await bc.query('SELECT datname FROM pg_database')).rows,
      (await bc.query('SELECT rolname FROM pg_roles')).rows,
      (await bc.query('SELECT datname, usename, query FROM pg_stat_activity')).rows,
      (await bc.query('SELECT datname FROM pg_stat_database')).rows,
    ]);
    for (const name of ['acme', 'acme-orders', 'acme-secret', 'shop']) assert.ok(!everything.includes(name), `B's SQL sees "${name}"`);
    await assert.rejects(bc.query(`SET ROLE ${ca.database}`), /permission denied|must be member/);
    await assert.rejects(bc.query('CREATE DATABASE other'), /permission denied/);
    await assert.rejects(bc.query('CREATE ROLE other LOGIN'), /permission denied/);
    await assert.rejects(bc.query(`SELECT * FROM dblink('dbname=${ca.database}', 'select 1') AS t(x int)`), /does not exist/);
    // what B creates belongs to its database's group, not to its login (so rotations can drop logins)
    await bc.query('CREATE TABLE mine (x int)');
    assert.equal((await bc.query("SELECT tableowner FROM pg_tables WHERE tablename = 'mine'")).rows[0].tableowner, cb.database);
  });

  it('backs up under a write loop, and a restore into a new database holds exactly a consistent snapshot', async (t) => {
    const { a, h } = await setup(t);
    const { creds } = await create(a, { name: 'ledger' });
    const c = await login(creds);
    await c.query('CREATE TABLE entries (id int PRIMARY KEY, body text NOT NULL); CREATE TABLE total (n int NOT NULL); INSERT INTO total VALUES (0)');
    // each transaction adds one entry and counts it: a consistent copy has count(entries) = total.n
    let n = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        n++;
        await c.query('BEGIN');
        await c.query('INSERT INTO entries VALUES ($1, md5($2))', [n, String(n)]);
        await c.query('UPDATE total SET n = n + 1');
        await c.query('COMMIT');
      }
    })();
    writer.catch(() => (stop = true));
    await waitFor(() => n >= 200 || stop, { what: '200 writes' });
    const backup = await a.post('/v1/databases/ledger/backups');
    assert.equal(backup.status, 201, backup.body);
    const during = n;
    await waitFor(() => n >= during + 100 || stop, { what: '100 more writes' });
    stop = true;
    await writer;
    assert.ok(await h.blobs.verify(backup.json.backup.sha256), 'the archive is in the blob store under its sha256');
    const listed = await a.get('/v1/databases/ledger/backups');
    assert.deepEqual(listed.json.backups.map((x: { id: string }) => x.id), [backup.json.backup.id]);

    const restored = await a.post('/v1/databases/ledger/restore', { backup: backup.json.backup.id, into: 'ledger-copy' });
    assert.equal(restored.status, 200, restored.body);
    assert.equal(restored.json.database.customer, 'acme');
    const copy = await login(restored.json.credentials as Creds);
    const k = Number((await copy.query('SELECT n FROM total')).rows[0].n);
    const rows = (await copy.query('SELECT count(*)::int AS count, min(id) AS lo, max(id) AS hi FROM entries')).rows[0];
    assert.ok(k >= 200 && k < n, `the snapshot holds ${k} of ${n} entries`);
    assert.deepEqual(rows, { count: k, lo: 1, hi: k }, 'entries 1..k, no gap, no extra: one snapshot');
    const sum = 'SELECT md5(string_agg(id::text || body, \',\' ORDER BY id)) AS sum FROM entries WHERE id <= $1';
    assert.equal((await copy.query(sum, [k])).rows[0].sum, (await c.query(sum, [k])).rows[0].sum, 'checksums match');
    // the copy is its own database, with its own login: the source's login cannot use it
    await refused((restored.json.credentials as Creds).database, creds.user, creds.password);

    // restore in place: the database goes back to the snapshot
    await c.query('DELETE FROM entries');
    const inPlace = await a.post('/v1/databases/ledger/restore', { backup: backup.json.backup.id });
    assert.equal(inPlace.status, 200, inPlace.body);
    const again = await login(creds);
    assert.equal((await again.query('SELECT count(*)::int AS count FROM entries')).rows[0].count, k);
    await again.query('INSERT INTO entries VALUES (-1, $1)', ['owner can write after a restore']);
  });

  it('takes scheduled backups on time and prunes the oldest beyond keep', async (t) => {
    const { a, h } = await setup(t);
    const { creds } = await create(a, { name: 'sched', backup: { everySeconds: 3600, keep: 2 } });
    // each backup sees other contents, so each archive is a blob of its own
    const c = await login(creds);
    await c.query('CREATE TABLE marks (at text)');
    const mark = () => c.query('INSERT INTO marks VALUES ($1)', [randomBytes(8).toString('hex')]);
    let clock = Date.now();
    const events = createEventLog(h.store);
    const upkeep = startDatabaseUpkeep({ store: h.store, blobs: h.blobs, service: pgs.admin, secrets, events, log: silentLogger, intervalMs: 3_600_000, now: () => clock });
    t.after(() => upkeep.close());
    const ids = async () => ((await a.get('/v1/databases/sched/backups')).json.backups as { id: string; kind: string; sha256: string }[]);
    await upkeep.runOnce();
    assert.equal((await ids()).length, 1);
    await upkeep.runOnce();
    assert.equal((await ids()).length, 1, 'not again before the interval');
    await mark();
    const manual = await a.post('/v1/databases/sched/backups');
    assert.equal(manual.status, 201);
    clock += 3601_000;
    await mark();
    await upkeep.runOnce();
    const [first] = await ids();
    clock += 3601_000;
    await mark();
    await upkeep.runOnce();
    const after3 = await ids();
    assert.deepEqual(after3.map((b) => b.kind).sort(), ['manual', 'scheduled', 'scheduled'], 'keep 2 scheduled; manual ones are not pruned');
    assert.ok(!after3.some((b) => b.id === first!.id), 'the oldest scheduled backup was pruned');
    const farmEvents = await events.list({}, { type: 'farm' });
    assert.ok(farmEvents.some((e: FarmEvent) => e.action === 'database.backup' && e.customer === 'acme' && /pruned/.test(e.message ?? '')));
    // the pruned archive goes with the blob collector; the kept ones stay
    const gc = await startBlobGc({ store: h.store, blobs: h.blobs, log: silentLogger, graceMs: 0 });
    t.after(() => gc.close());
    await gc.runOnce();
    assert.equal(await h.blobs.has(first!.sha256), false);
    for (const b of after3) assert.equal(await h.blobs.has(b.sha256), true);
  });

  it('makes a database over its quota read-only with an event, and writable again when back under', async (t) => {
    const { a, h } = await setup(t);
    const { creds } = await create(a, { name: 'big', quotaMb: 16 });
    const events = createEventLog(h.store);
    const upkeep = startDatabaseUpkeep({ store: h.store, blobs: h.blobs, service: pgs.admin, secrets, events, log: silentLogger, intervalMs: 3_600_000 });
    t.after(() => upkeep.close());
    const c = await login(creds);
    await c.query("CREATE TABLE blob AS SELECT g AS id, repeat(md5(g::text), 40) AS body FROM generate_series(1, 8000) g");
    await upkeep.runOnce();
    const db = (await a.get('/v1/databases/big')).json.database;
    assert.equal(db.readOnly, true);
    assert.ok(db.sizeBytes > 16 * 2 ** 20, `measured ${db.sizeBytes}`);
    const ro = await login(creds);
    await assert.rejects(ro.query('INSERT INTO blob VALUES (0, $1)', ['x']), /read-only transaction/);
    assert.equal((await ro.query('SELECT count(*)::int AS n FROM blob')).rows[0].n, 8000, 'reads go on');
    assert.ok((await events.list({ customer: 'acme' }, { type: 'farm' })).some((e) => e.action === 'database.read_only' && e.target === 'database/big'));
    // back under (the quota raised): writable again
    assert.equal((await a.patch('/v1/databases/big', { quotaMb: 256 })).status, 200);
    await upkeep.runOnce();
    assert.equal((await a.get('/v1/databases/big')).json.database.readOnly, false);
    const rw = await login(creds);
    await rw.query('INSERT INTO blob VALUES (0, $1)', ['x']);
    assert.ok((await events.list({ customer: 'acme' }, { type: 'farm' })).some((e) => e.action === 'database.writable'));
  });

  it('enforces the connection limit', async (t) => {
    const { a } = await setup(t);
    const { creds } = await create(a, { name: 'few', connectionLimit: 2 });
    await login(creds);
    await login(creds);
    await assert.rejects(login(creds), /too many connections/);
  });

  it(`gives a customer's own token ${CUSTOMER_DB_CONNECTIONS} connections in all over its databases (403 past it: create, raise, restore into), concurrent creates included; another customer and an admin are not held by it`, async (t) => {
    const { h, a, b } = await setup(t);
    await create(a, { name: 'one', connectionLimit: 60 });
    const over = await a.post('/v1/databases', { name: 'two', connectionLimit: 41 });
    assert.equal(over.status, 403);
    assert.equal(over.json.error.code, 'quota_exceeded');
    assert.match(over.json.error.message, /would allow 101 connections in all, more than the 100/);
    // concurrent creates that each fit alone: together they never pass
    const racing = await Promise.all(['r1', 'r2', 'r3'].map((name) => a.post('/v1/databases', { name, connectionLimit: 20 })));
    const made = racing.filter((r) => r.status === 201).length;
    assert.ok(made <= 2, `${made} of 3 created`);
    assert.ok(racing.every((r) => [201, 403, 409].includes(r.status)), racing.map((r) => r.status).join(' '));
    const total = (await a.get('/v1/databases')).json.databases.reduce((n: number, d: { connectionLimit: number }) => n + d.connectionLimit, 0);
    assert.ok(total <= CUSTOMER_DB_CONNECTIONS, `${total} connections in all`);
    assert.equal((await a.patch('/v1/databases/one', { connectionLimit: 100 })).status, 403, 'raising one past the budget');
    assert.equal((await a.patch('/v1/databases/one', { connectionLimit: 61 })).status, made === 2 ? 403 : 200, 'raising within what is left');
    assert.equal((await a.patch('/v1/databases/one', { connectionLimit: 5 })).status, 200, 'lowering always goes through');
    await create(b, { name: 'bolt-db', connectionLimit: 100 }); // another customer's own budget
    assert.equal((await h.admin.post('/v1/databases', { name: 'big', customer: 'acme', connectionLimit: 100 })).status, 201, 'an admin may give more');
  });

  it('rotates: the new login works at once, the old one until no server uses it, then it is dropped', async (t) => {
    const { a, h } = await setup(t);
    const { creds: old } = await create(a, { name: 'turn' });
    const oc = await login(old);
    await oc.query('CREATE TABLE t (x int)');
    const res = await a.post('/v1/databases/turn/rotate');
    assert.equal(res.status, 200, res.body);
    const fresh = res.json.credentials as Creds;
    assert.notEqual(fresh.user, old.user);
    assert.notEqual(fresh.password, old.password);
    assert.equal((await a.get('/v1/databases/turn/credentials')).json.credentials.user, fresh.user);
    const nc = await login(fresh);
    await nc.query('INSERT INTO t VALUES (1)');
    await (await login(old)).query('INSERT INTO t VALUES (2)');
    // a server still running with the old login keeps it valid
    const vs = { vs: 'web-1', engine: 'e1', site: 'web', customer: 'acme', kind: 'app', release: 'v1', sha256: '0'.repeat(64), healthPath: '/', env: {}, domains: [], database: { name: old.database, user: old.user, password: old.password }, createdAt: new Date().toISOString() };
    await h.store.put(keys.assignment('e1', 'web-1'), JSON.stringify(vs));
    let clock = Date.now();
    const upkeep = startDatabaseUpkeep({ store: h.store, blobs: h.blobs, service: pgs.admin, secrets, events: createEventLog(h.store), log: silentLogger, intervalMs: 3_600_000, now: () => clock });
    t.after(() => upkeep.close());
    await upkeep.runOnce();
    await (await login(old)).query('INSERT INTO t VALUES (3)');
    // the roll is done (the old server's assignment is gone), but it may still be draining:
    // the old login keeps working for the grace, then it is dropped
    await h.store.delete(keys.assignment('e1', 'web-1'));
    await upkeep.runOnce();
    clock += LOGIN_DROP_GRACE_MS - 1000;
    await upkeep.runOnce();
    await (await login(old)).query('INSERT INTO t VALUES (4)');
    clock += 1000;
    await upkeep.runOnce();
    await refused(old.database, old.user, old.password);
    const record = JSON.parse((await h.store.get(keys.database('turn')))!.value) as DatabaseRecord;
    assert.deepEqual(record.logins.map((l) => l.user), [fresh.user]);
    assert.equal((await nc.query('SELECT count(*)::int AS n FROM t')).rows[0].n, 4);
  });

  it('deletes a database only once no site uses it, and PostgreSQL forgets it', async (t) => {
    const { a } = await setup(t);
    const { creds } = await create(a, { name: 'gone' });
    assert.equal((await a.post('/v1/sites', { name: 'web', domains: ['web.acme.test'], kind: 'static' })).status, 201);
    assert.equal((await a.patch('/v1/sites/web', { database: 'gone' })).status, 200);
    const busy = await a.delete('/v1/databases/gone');
    assert.equal(busy.status, 409);
    assert.equal(busy.json.error.code, 'database_in_use');
    assert.match(busy.json.error.message, /web/);
    assert.equal((await a.patch('/v1/sites/web', { database: null })).status, 200);
    assert.equal((await a.delete('/v1/databases/gone')).status, 204);
    assert.equal((await a.get('/v1/databases/gone')).status, 404);
    const admin = await pgs.connect('postgres', 'corral', decodeURIComponent(new URL(pgs.server.adminUrl()).password));
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [creds.database])).rows[0].n, 0);
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE $1', [`${creds.database}%`])).rows[0].n, 0);
  });
});

describe('customers with databases', { skip }, () => {
  let pgs: TestPostgres;
  before(async () => {
    pgs = await startTestPostgres();
  });
  after(async () => pgs?.close());

  it('are deleted only with cascade, and their databases with them: a customer re-created under the name finds none', async (t) => {
    const h = await startController(t, { databases: { service: pgs.admin, secrets: databaseSecrets(randomBytes(32)) } });
    const a = await h.customer('acme');
    const created = await a.post('/v1/databases', { name: 'orders' });
    assert.equal(created.status, 201);
    const refused = await h.admin.delete('/v1/customers/acme');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'customer_has_sites');
    assert.match(refused.json.error.message, /1 database\(s\) \(orders\)/);
    const gone = await h.admin.delete('/v1/customers/acme?cascade=true');
    assert.equal(gone.status, 200, gone.body);
    assert.deepEqual(gone.json.deletedDatabases, ['orders']);
    const again = await h.customer('acme');
    assert.deepEqual((await again.get('/v1/databases')).json.databases, []);
    assert.equal((await again.get('/v1/databases/orders')).status, 404);
    const c = created.json.credentials as Creds;
    await assert.rejects(pgs.connect(c.database, c.user, c.password));
  });

  it('race their deletion: a database claimed while the customer is deleted goes with it, and none is claimed once its record is gone (interleavings forced through the store)', async (t) => {
    // the store the controller sees runs `before` ahead of the first transaction that matches
    let hook: { when: (ops: string[]) => boolean; before: (store: Store) => Promise<void> } | undefined;
    const h = await startController(t, { databases: { service: pgs.admin, secrets: databaseSecrets(randomBytes(32)) } }, (s) => ({
      ...s,
      range: s.range.bind(s), get: s.get.bind(s), put: s.put.bind(s), delete: s.delete.bind(s), watch: s.watch.bind(s),
      txn: async (req) => {
        const h1 = hook;
        if (h1?.when(req.success.map((op) => `${op.type} ${'key' in op ? op.key : op.prefix}`))) {
          hook = undefined;
          await h1.before(s);
        }
        return s.txn(req);
      },
    } as Store));
    // 1. a create whose claim lands after the customer's record was deleted: 404, nothing made
    const a = await h.customer('acme');
    hook = { when: (ops) => ops.includes(`put ${keys.database('late')}`), before: async (s) => void (await s.delete(keys.customer('acme'))) };
    const late = await a.post('/v1/databases', { name: 'late' });
    assert.equal(late.status, 404, late.body);
    assert.equal(await h.store.get(keys.database('late')), undefined, 'no record');
    // 2. a database claimed between the delete's listing and the customer's deletion: deleted with it
    const b = await h.customer('bolt');
    assert.equal((await b.post('/v1/databases', { name: 'first' })).status, 201);
    hook = {
      when: (ops) => ops.includes(`delete ${keys.customer('bolt')}`),
      before: async () => assert.equal((await b.post('/v1/databases', { name: 'meanwhile' })).status, 201),
    };
    const gone = await h.admin.delete('/v1/customers/bolt?cascade=true');
    assert.equal(gone.status, 200, gone.body);
    assert.deepEqual([...gone.json.deletedDatabases].sort(), ['first', 'meanwhile']);
    assert.equal(await h.store.get(keys.database('meanwhile')), undefined);
  });
});

describe('without a database service', () => {
  it('answers 501 with how to get one', async (t) => {
    const h: Harness = await startController(t);
    const a = await h.customer('acme');
    const res = await a.post('/v1/databases', { name: 'shop' });
    assert.equal(res.status, 501);
    assert.equal(res.json.error.code, 'databases_unavailable');
    assert.match(res.json.error.message, /apt-get install postgresql/);
  });
});

