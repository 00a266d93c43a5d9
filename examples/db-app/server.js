// A guestbook in PostgreSQL: the database variant of examples/node-app. It reads its
// database from $DATABASE_URL (Corral sets it, and PG*, for a site bound with
// `corral site set <site> --db <name>`), listens on $PORT/$HOST and drains on SIGTERM.
// Every replica writes to the same database, so what one replica stores, all serve.

import http from 'node:http';
import pg from 'pg';

const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST || '127.0.0.1';
const VS = process.env.CORRAL_VS ?? null;
const MAX_BODY = 4096;

if (!process.env.DATABASE_URL) {
  log('no_database', { hint: 'bind a database: corral site set <site> --db <name>' });
  process.exit(1);
}
// A roll (deploy, rotate, bind) keeps the old servers, with their pooled connections, until
// the new ones serve: size the pool so that twice the site's replicas fit the database's
// connection limit (`corral db create --connections`, default 20) with room to spare for
// the farm's own maintenance connections: 3 replicas × 3 × 2 = 18.
const POOL_MAX = Number(process.env.DB_POOL_MAX) || 3;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_MAX });
pool.on('error', (err) => log('pool_error', { error: err.message }));

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  handle(req, url).then(
    ([status, body]) => send(res, status, body),
    (err) => {
      log('request_failed', { path: url.pathname, error: err.message });
      send(res, 503, { error: 'the database did not answer', vs: VS });
    },
  );
});

async function handle(req, url) {
  if (url.pathname === '/health') {
    await pool.query('SELECT 1');
    return [200, { ok: true }];
  }
  if (url.pathname === '/' && req.method === 'GET') {
    const { rows } = await pool.query('SELECT count(*)::int AS entries FROM entries');
    return [200, { app: 'corral-guestbook', vs: VS, entries: rows[0].entries }];
  }
  if (url.pathname === '/entries' && req.method === 'POST') {
    const text = await readBody(req);
    if (text === undefined) return [413, { error: `at most ${MAX_BODY} bytes` }];
    const { rows } = await pool.query('INSERT INTO entries (vs, text) VALUES ($1, $2) RETURNING id', [VS, text]);
    return [201, { id: rows[0].id, vs: VS }];
  }
  if (url.pathname === '/entries' && req.method === 'GET') {
    const { rows } = await pool.query('SELECT id, vs, text, at FROM entries ORDER BY id');
    return [200, { entries: rows }];
  }
  return [404, { error: 'not found', path: url.pathname }];
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, value) {
  if (res.headersSent) return;
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function log(event, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), app: 'corral-guestbook', vs: VS, event, ...fields }));
}

/** Replicas start together: CREATE TABLE IF NOT EXISTS may race, so one retry settles it. */
async function migrate() {
  const sql = 'CREATE TABLE IF NOT EXISTS entries (id bigserial PRIMARY KEY, vs text, text text NOT NULL, at timestamptz NOT NULL DEFAULT now())';
  for (let i = 0; ; i++) {
    try {
      return await pool.query(sql);
    } catch (err) {
      if (i >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * (i + 1)));
    }
  }
}

let draining = false;
function shutdown(signal) {
  if (draining) return;
  draining = true;
  log('draining', { signal });
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  setTimeout(() => server.closeAllConnections(), 10_000).unref();
  server.close(async () => {
    clearInterval(sweep);
    await pool.end().catch(() => undefined);
    log('stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
}

try {
  await migrate();
} catch (err) {
  log('migrate_failed', { error: err.message });
  process.exit(1);
}
server.listen(PORT, HOST, () => log('listening', { host: HOST, port: PORT }));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
