import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { streamText } from '../lib/metrics-scrape.ts';
import { startController } from './test-harness.ts';

async function consoleDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-console-dist-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dir, 'dist', 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'dist', 'assets', '%2e%2e'), 'a file with an odd name');
  await writeFile(join(dir, 'secret.txt'), 'outside');
  return join(dir, 'dist');
}

test('the console is served under /console without a token, and never outside its folder', async (t) => {
  const h = await startController(t, { consoleDir: await consoleDir(t) });
  const anon = h.client(undefined);
  assert.equal((await anon.get('/console')).status, 302);
  const index = await anon.get('/console/');
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-type']), /text\/html/);
  // what it shows comes from customers: scripts and connections from this origin only, never framed
  assert.match(String(index.headers['content-security-policy']), /script-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
  assert.equal(index.headers['x-frame-options'], 'DENY');
  const js = await anon.get('/console/assets/app.js');
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.match(String(js.headers['cache-control']), /immutable/);
  assert.match((await anon.get('/console/sites/www')).body, /<title>console/, 'views fall back to index.html');
  // decoded once, as every path: %25 is a '%' in a name, never a second round of decoding
  assert.equal((await anon.get('/console/assets/%252e%252e')).body, 'a file with an odd name');
  for (const path of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/..%2f..%2fsecret.txt', '/console/assets/%252e%252e%252f%252e%252e%252fsecret.txt', '/console/missing.js', '/console/%E0%A4%A']) {
    const r = await anon.get(path);
    assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /outside/);
  }
  assert.equal((await anon.get('/v1/sites')).status, 401, 'the API still needs a token');
});

test('/metrics needs an admin token unless opened, and serves the registry given', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'corral_test_total', help: 'test', registers: [registry] }).inc(3);
  const closed = await startController(t, { metrics: { registry } });
  const acme = await closed.customer('acme');
  assert.equal((await closed.client(undefined).get('/metrics')).status, 401);
  assert.equal((await acme.get('/metrics')).status, 403);
  const scraped = await closed.admin.get('/metrics');
  assert.equal(scraped.status, 200);
  assert.match(scraped.body, /^corral_test_total 3$/m);

  const open = await startController(t, { metrics: { registry, open: true } });
  assert.equal((await open.client(undefined).get('/metrics')).status, 200);
});

test('/metrics streams a registry that makes its text in pieces, then the certificates\' registry; HEAD gets the headers alone; a failing registry is a 500', async (t) => {
  const pieces = Object.assign(new Registry(), {
    async *[streamText]() {
      for (let i = 0; i < 50; i++) yield `corral_piece_total{n="${i}"} ${i}\n`;
    },
  });
  const h = await startController(t, { metrics: { registry: pieces, open: true } });
  const scraped = await h.admin.get('/metrics');
  assert.equal(scraped.status, 200);
  const text = Array.from({ length: 50 }, (_, i) => `corral_piece_total{n="${i}"} ${i}\n`).join('');
  assert.ok(scraped.body.startsWith(`${text}\n# HELP corral_certificate_expiry_seconds `), scraped.body.slice(0, 200));
  const head = await h.app.inject({ method: 'HEAD', url: '/metrics' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');

  const failing = new (class extends Registry {
    override metrics(): Promise<string> {
      return Promise.reject(new Error('no figures'));
    }
  })();
  const broken = await startController(t, { metrics: { registry: failing, open: true } });
  assert.equal((await broken.admin.get('/metrics')).status, 500);
});
