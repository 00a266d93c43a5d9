// End to end, as a user: `corral up`, a customer, a static site deployed with the CLI,
// served through the router by Host; hostile input refused; state kept across a restart;
// browsers' caches kept across a deploy (ETags from the files' bytes, Cache-Control).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');

describe('a static site on a one-machine farm', () => {
  let farm: FarmProcess;
  let customerToken = '';
  let work = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-static-'));
    farm = await startFarmProcess({ extraArgs: ['--reserved-domains', 'status.farm.test,*.corp.farm.test'] });
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('prints where the router, API and token are', () => {
    assert.match(farm.output(), /router\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(farm.output(), /API\s+http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.match(farm.output(), /token\s+\S+admin-token/);
  });

  it('creates a customer and a site, deploys the example, serves it by Host', async () => {
    const created = await ok(farm.cli(['customer', 'create', 'acme']));
    customerToken = /token: (\S+)/.exec(created.stdout)![1]!;
    await ok(farm.cli(['site', 'create', 'www', '--domain', 'www.acme.test', '--kind', 'static'], { token: customerToken }));
    const deploy = await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: customerToken }));
    assert.match(deploy.stderr, /uploading .* \(100%\)/);
    assert.match(deploy.stderr, /replicas ready 1\/1/);
    const page = await get(farm.routerUrl, 'www.acme.test', '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /Corral static example/);
    assert.match(String(page.headers['content-type']), /text\/html/);
  });

  it("refuses a customer the farm's names: localhost, addresses, single labels, the dev certificate's and reserved ones", async () => {
    for (const domain of ['localhost', '*.localhost', 'console.localhost', 'corral.localhost', '127.0.0.1', '0x7f000001', '127.1', 'test', 'co.uk', 'status.farm.test', 'x.corp.farm.test']) {
      const res = await fetch(`${farm.apiUrl}/v1/sites`, {
        method: 'POST', headers: { authorization: `Bearer ${customerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'grab', kind: 'static', domains: [domain] }),
      });
      assert.equal(res.status, 400, `${domain} must be refused`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'domain_reserved', domain);
    }
    const reserved = await farm.cli(['site', 'create', 'grab', '--domain', 'status.farm.test'], { token: customerToken });
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /status\.farm\.test cannot be claimed: it is reserved by the farm/);
    const noDomain = await farm.cli(['site', 'create', 'grab'], { token: customerToken });
    assert.equal(noDomain.code, 1);
    assert.match(noDomain.stderr, /needs --domain/);
    for (const host of ['127.0.0.1', 'localhost', 'console.localhost']) {
      assert.equal((await get(farm.routerUrl, host, '/')).status, 404, `${host} serves no customer's site`);
    }
  });

  it('answers an unknown host with a clear 404, never another site', async () => {
    const r = await get(farm.routerUrl, 'nobody.test', '/');
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.body, /Corral static example/);
    assert.match(r.body, /nobody\.test/);
  });

  it('refuses hostile tarballs with a clear error and writes nothing outside its folders', async () => {
    const evil = join(work, 'evil.tar.gz');
    await writeFile(join(work, 'sentinel'), 'x');
    await pipeline(Readable.from([tarEntry('../../escaped.txt', 'pwned')]), createGzip(), (await import('node:fs')).createWriteStream(evil));
    const r = await farm.cli(['deploy', evil, '--site', 'www'], { token: customerToken });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*\.\./m, 'one clear line naming the bad entry');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual((await readdir(work)).sort(), ['evil.tar.gz', 'sentinel']);
    const releases = await ok(farm.cli(['site', 'list', '--json'], { token: customerToken }));
    assert.equal(JSON.parse(releases.stdout).sites[0].release, 'v1', 'the good release still serves');
  });

  it('refuses a missing or wrong token with 401', async () => {
    for (const auth of [undefined, 'Bearer crl_wrong']) {
      const res = await fetch(`${farm.apiUrl}/v1/sites`, { headers: auth ? { authorization: auth } : {} });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { error: { message: string } };
      assert.ok(body.error.message.length > 0);
    }
    const r = await farm.cli(['site', 'list'], { token: 'crl_wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: /);
  });

  it("keeps one customer out of another's site", async () => {
    const other = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', 'globex']))).stdout)![1]!;
    const list = await ok(farm.cli(['site', 'list', '--json'], { token: other }));
    assert.deepEqual(JSON.parse(list.stdout).sites, []);
    for (const args of [['scale', 'www', '3'], ['rollback', 'www'], ['deploy', STATIC_EXAMPLE, '--site', 'www'], ['logs', 'www'], ['site', 'delete', 'www']]) {
      const r = await farm.cli(args, { token: other });
      assert.equal(r.code, 1, `${args.join(' ')} must fail`);
      assert.match(r.stderr, /not found|no site/i, `${args.join(' ')}: ${r.stderr}`);
    }
    const taken = await farm.cli(['site', 'create', 'phish', '--domain', 'www.acme.test'], { token: other });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /www\.acme\.test/);
    assert.equal((await get(farm.routerUrl, 'www.acme.test', '/')).status, 200);
  });

  it('keeps customers, sites and releases across a restart, and the virtual servers come back', async () => {
    assert.equal(await farm.stop(), 0, 'Ctrl-C stops cleanly');
    farm = await startFarmProcess({ dir: farm.dir });
    // "Corral is up." comes once the router serves the site again: its virtual server
    // started anew, so the first request after the banner gets the site, not a 503 or a 404
    const first = await get(farm.routerUrl, 'www.acme.test', '/');
    assert.equal(first.status, 200, `first answer after the restart: ${first.status}`);
    const sites = JSON.parse((await ok(farm.cli(['site', 'list', '--json']))).stdout).sites as { name: string; release: string }[];
    assert.deepEqual(sites.map((s) => [s.name, s.release]), [['www', 'v1']]);
    const customers = JSON.parse((await ok(farm.cli(['customer', 'list', '--json']))).stdout).customers as { id: string }[];
    assert.deepEqual(customers.map((c) => c.id).sort(), ['acme', 'globex']);
    await waitFor(async () => (await get(farm.routerUrl, 'www.acme.test', '/')).status === 200, { timeoutMs: 20_000, what: 'site served after restart' });
    assert.match((await get(farm.routerUrl, 'www.acme.test', '/')).body, /Corral static example/);
  });

  it('keeps the ETag of every unchanged file across a deploy (a 304 for a browser\'s copy); a fingerprinted asset is immutable', async () => {
    await ok(farm.cli(['site', 'create', 'blog', '--domain', 'blog.acme.test', '--kind', 'static'], { token: customerToken }));
    await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'blog'], { token: customerToken }));
    const v1 = { page: await get(farm.routerUrl, 'blog.acme.test', '/'), css: await get(farm.routerUrl, 'blog.acme.test', '/style.css') };
    assert.equal(v1.css.status, 200);
    assert.match(String(v1.css.headers.etag), /^"[A-Za-z0-9_-]{22}"$/, 'a strong ETag from the bytes');
    assert.equal(v1.css.headers['cache-control'], 'public, max-age=0, must-revalidate', 'a plain name: asked about each time');

    // the next release: the same stylesheet, a new page, a fingerprinted script; unpacked anew (new file times)
    const next = join(work, 'blog-v2');
    await cp(STATIC_EXAMPLE, next, { recursive: true });
    await writeFile(join(next, 'index.html'), '<!doctype html><h1>Corral static example, v2</h1><script src="/assets/app.3f9a1c2b.js"></script>');
    await mkdir(join(next, 'assets'));
    await writeFile(join(next, 'assets', 'app.3f9a1c2b.js'), 'console.log("v2")');
    await ok(farm.cli(['deploy', next, '--site', 'blog'], { token: customerToken }));
    await waitFor(async () => /v2/.test((await get(farm.routerUrl, 'blog.acme.test', '/')).body), { timeoutMs: 20_000, what: 'the second release served' });

    const css = await get(farm.routerUrl, 'blog.acme.test', '/style.css');
    assert.equal(css.headers.etag, v1.css.headers.etag, 'the same bytes, the same ETag, in another release');
    const revalidated = await get(farm.routerUrl, 'blog.acme.test', '/style.css', 'GET', { 'if-none-match': String(v1.css.headers.etag) });
    assert.equal(revalidated.status, 304, "a browser's copy from the previous release is still good");
    const page = await get(farm.routerUrl, 'blog.acme.test', '/', 'GET', { 'if-none-match': String(v1.page.headers.etag) });
    assert.equal(page.status, 200, 'the changed page is sent again');
    assert.notEqual(page.headers.etag, v1.page.headers.etag);
    const script = await get(farm.routerUrl, 'blog.acme.test', '/assets/app.3f9a1c2b.js');
    assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
    const resumed = await get(farm.routerUrl, 'blog.acme.test', '/style.css', 'GET', { range: 'bytes=0-9', 'if-range': String(css.headers.etag) });
    assert.equal(resumed.status, 206, 'If-Range with the current ETag: the range');
  });
});

/** One ustar entry (header + data + end blocks) with an arbitrary, unchecked name. */
function tarEntry(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}
