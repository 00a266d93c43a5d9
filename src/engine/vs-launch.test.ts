import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { VsSpec } from './runtime.ts';
import { defaultNodeArgs, vsLaunch, WEB_RUNTIME_MAIN } from './vs-launch.ts';

const spec: VsSpec = {
  name: 'blog-1a2b3c',
  site: 'blog',
  customer: 'c1',
  kind: 'app',
  releaseDir: '/srv/rel',
  dataDir: '/srv/data/blog',
  logFile: '/srv/logs/blog-1a2b3c.log',
  command: 'node server.js',
  domains: ['blog.example'],
  healthPath: '/',
  env: { GREETING: 'hi', PORT: '1', CORRAL_VS: 'someone-else', CORRAL_RELEASE: 'r1' },
};

test('app sites run their command through /bin/sh with only the site env and Corral variables', () => {
  process.env.CORRAL_TEST_SECRET = 'engine-only';
  const l = vsLaunch(spec, '127.77.0.9', 4321, []);
  delete process.env.CORRAL_TEST_SECRET;
  assert.deepEqual([l.file, ...l.args], ['/bin/sh', '-c', 'node server.js']);
  assert.equal(l.env.GREETING, 'hi');
  assert.equal(l.env.PORT, '4321');
  assert.equal(l.env.HOST, '127.77.0.9');
  assert.equal(l.env.CORRAL_VS, 'blog-1a2b3c', 'site env cannot spoof the VS name');
  assert.equal(l.env.CORRAL_SITE, 'blog');
  assert.equal(l.env.CORRAL_RELEASE, 'r1');
  assert.equal(l.env.CORRAL_DATA_DIR, '/srv/data/blog');
  assert.equal(l.env.NODE_ENV, 'production');
  assert.ok(l.env.PATH);
  assert.equal(l.env.CORRAL_TEST_SECRET, undefined);
});

test('static sites run the web runtime with their domains and release as root', () => {
  const l = vsLaunch({ ...spec, kind: 'static', command: undefined }, '127.77.0.9', 4321, ['--import', 'x']);
  assert.deepEqual([l.file, ...l.args], [process.execPath, '--import', 'x', '--max-semi-space-size=2', WEB_RUNTIME_MAIN], 'a small young generation (WEB_RUNTIME_V8_ARGS)');
  assert.deepEqual(JSON.parse(l.env.CORRAL_WEB_SITES!), [{ domains: ['blog.example'], root: '/srv/rel' }]);
});

test('a static site with spa tells its web runtime so', () => {
  const l = vsLaunch({ ...spec, kind: 'static', command: undefined, spa: true }, '127.77.0.9', 4321, []);
  assert.deepEqual(JSON.parse(l.env.CORRAL_WEB_SITES!), [{ domains: ['blog.example'], root: '/srv/rel', spa: true }]);
});

test('an app site without a command is refused', () => {
  assert.throws(() => vsLaunch({ ...spec, command: undefined }, '127.77.0.9', 1, []), { code: 'ENGINE_MISSING_COMMAND' });
});

test('run from the sources, the web runtime is main.ts and loads tsx by absolute file URL', () => {
  assert.ok(WEB_RUNTIME_MAIN.endsWith('/src/web-runtime/main.ts'), WEB_RUNTIME_MAIN);
  assert.ok(existsSync(WEB_RUNTIME_MAIN));
  const [flag, url] = defaultNodeArgs();
  assert.equal(flag, '--import');
  assert.ok(existsSync(new URL(url!)));
});

test("a site's database login becomes libpq's variables and DATABASE_URL, pointing where this engine reaches PostgreSQL", () => {
  const db = { name: 'db_0123456789ab', user: 'db_0123456789ab_2', password: 'p@ss/w:rd' };
  const l = vsLaunch({ ...spec, database: db, env: { PGHOST: 'evil.example' } }, '10.213.5.9', 8080, [], { host: '10.213.5.1', port: 5432 });
  assert.equal(l.env.PGHOST, '10.213.5.1', 'the site env cannot point it elsewhere');
  assert.equal(l.env.PGPORT, '5432');
  assert.equal(l.env.PGDATABASE, db.name);
  assert.equal(l.env.PGUSER, db.user);
  assert.equal(l.env.PGPASSWORD, db.password);
  assert.equal(l.env.DATABASE_URL, 'postgres://db_0123456789ab_2:p%40ss%2Fw%3Ard@10.213.5.1:5432/db_0123456789ab');
  assert.equal(new URL(l.env.DATABASE_URL).password, 'p%40ss%2Fw%3Ard');
  // no database service on the engine, or no database bound: nothing set
  assert.equal(vsLaunch({ ...spec, database: db }, '10.213.5.9', 8080, []).env.DATABASE_URL, undefined);
  assert.equal(vsLaunch(spec, '10.213.5.9', 8080, [], { host: '10.213.5.1', port: 5432 }).env.DATABASE_URL, undefined);
});
