// End to end, as an operator: a real `corral up` with two customers, three sites, several
// releases and a certificate; `corral backup` while a deploy loop runs; `corral restore`
// into a new folder; a fresh `corral up` there serves every site through its router with
// the same content, customers' tokens work as before, the old admin token does not (the
// restore made a new one), and scheduled backups appear and are pruned. Hostile input to
// `corral restore` is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok, runCli, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { backupTrial, underLoad } from './helpers/backup-trial.ts';
import { get } from './helpers/http.ts';
import { packDirectory } from '../src/lib/tarball.ts';
import { rawTarGz } from '../src/lib/tarball/test-archives.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');

describe('farm backup and restore with corral up', () => {
  const trial = backupTrial('corral-farm-backup-');
  const tokens: Record<string, string> = {};
  const before_: Record<string, string> = {};

  it('backs up a farm with two customers, sites, releases and a certificate, under a deploy loop', async () => {
    const { farm, work } = trial;
    for (const c of ['acme', 'globex']) tokens[c] = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', c]))).stdout)![1]!;
    await ok(farm.cli(['site', 'create', 'www', '--domain', 'www.acme.test', '--kind', 'static'], { token: tokens.acme! }));
    await ok(farm.cli(['site', 'create', 'blog', '--domain', 'blog.acme.test', '--kind', 'static'], { token: tokens.acme! }));
    await ok(farm.cli(['site', 'create', 'shop', '--domain', 'shop.globex.test', '--kind', 'static'], { token: tokens.globex! }));
    await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: tokens.acme! }));
    await ok(farm.cli(['deploy', await site('blog', 'blog first'), '--site', 'blog'], { token: tokens.acme! }));
    await ok(farm.cli(['deploy', await site('blog', 'blog second'), '--site', 'blog'], { token: tokens.acme! }));
    await ok(farm.cli(['deploy', await site('shop', 'shop v1'), '--site', 'shop'], { token: tokens.globex! }));
    const pem = await certificate('blog.acme.test');
    await ok(farm.cli(['cert', 'add', 'blog', '--cert', pem.cert, '--key', pem.key], { token: tokens.acme! }));
    before_.cert = (await ok(farm.cli(['cert', 'list', 'blog', '--json'], { token: tokens.acme! }))).stdout;
    before_.releases = (await ok(farm.cli(['releases', 'blog', '--json'], { token: tokens.acme! }))).stdout;
    for (const host of ['www.acme.test', 'blog.acme.test']) before_[host] = (await get(farm.routerUrl, host, '/')).body;
    // what the HTTPS listener presents: the site's certificate by SNI, the development one otherwise
    before_.tlsDev = await servedCertificate(farm, 'localhost');
    before_.tlsBlog = await waitFor(async () => { const f = await servedCertificate(farm, 'blog.acme.test'); return f !== before_.tlsDev && f; }, { timeoutMs: 10_000, what: "blog's certificate served" });
    assert.match(before_['www.acme.test']!, /Corral static example/);
    assert.equal(before_['blog.acme.test'], 'blog second');

    // shop gets a new release (its content names its number) as fast as the API takes them
    let deployed = 1;
    const deployNext = async () => {
      const n = deployed + 1;
      const tarball = join(work, `shop-${n}.tar.gz`);
      await packDirectory(await site(`shop-${n}`, `shop v${n}`), tarball);
      const res = await fetch(`${farm.apiUrl}/v1/sites/shop/releases?activate=true`, { method: 'POST', headers: { authorization: `Bearer ${tokens.globex}`, 'content-type': 'application/gzip' }, body: await readFile(tarball) });
      assert.equal(res.status, 201, await res.text());
      deployed = n;
    };
    const { result: backup, stepsBefore } = await underLoad(deployNext, () => deployed >= 3, () => ok(farm.cli(['backup', '--out', join(work, 'farm.tar.gz')])), 'the deploy loop');
    const during = stepsBefore + 1;
    assert.match(backup.stdout, /backup written: .*farm\.tar\.gz \(.*, store revision \d+\)/);
    assert.ok(during >= 3 && deployed > 2, `releases deployed around the backup (${during}, ${deployed})`);
    const again = await farm.cli(['backup', '--out', join(work, 'farm.tar.gz')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists: choose a new file name/);
    const customer = await farm.cli(['backup', '--out', join(work, 'mine.tar.gz')], { token: tokens.acme! });
    assert.equal(customer.code, 1);
    assert.deepEqual((await readdir(work)).filter((f) => f.startsWith('mine')), [], 'nothing written for a refused backup');
  });

  it('refuses to restore into a folder that is not empty, and a hostile archive', async () => {
    const { work } = trial;
    const full = join(work, 'full');
    await mkdir(full);
    await writeFile(join(full, 'x'), 'mine');
    const r = await runCli(['restore', join(work, 'farm.tar.gz'), '--dir', full]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not empty: restore into a new or empty folder/);
    assert.deepEqual(await readdir(full), ['x']);

    await writeFile(join(work, 'evil.tar.gz'), rawTarGz([{ path: '../../escaped.txt', body: 'x' }]));
    const evil = await runCli(['restore', join(work, 'evil.tar.gz'), '--dir', join(work, 'evil')]);
    assert.equal(evil.code, 1);
    assert.match(evil.stderr, /refused as a backup archive \(tarball_path_traversal\)/);
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('escaped') || f === 'evil'), []);
  });

  it('restores into a new folder that a fresh corral up serves as before', async () => {
    const { farm, work } = trial;
    const scheduled = join(work, 'scheduled');
    const { restore: r, restored } = await trial.restoreFarm(join(work, 'farm.tar.gz'), ['--backup-every', '1s', '--backup-keep', '2', '--backup-dir', scheduled]);
    assert.match(r.stdout, /restored into .*restored: \d+ records .* \d+ blobs/);
    assert.match(r.stdout, /a new admin token/);
    assert.notEqual(restored.token, farm.token);
    assert.match(restored.output(), /backups\s+\S+scheduled\s+\(every 1s, the newest 2 kept\)/);

    for (const host of ['www.acme.test', 'blog.acme.test']) {
      const page = await waitFor(async () => { const p = await get(restored.routerUrl, host, '/'); return p.status === 200 && p; }, { timeoutMs: 30_000, what: host });
      assert.equal(page.body, before_[host], host);
    }
    const shop = await waitFor(async () => { const p = await get(restored.routerUrl, 'shop.globex.test', '/'); return p.status === 200 && p; }, { timeoutMs: 30_000, what: 'shop' });
    const shopSite = JSON.parse((await ok(restored.cli(['site', 'show', 'shop', '--json'], { token: tokens.globex! }))).stdout) as { site?: { release: string }; release?: string };
    assert.equal(shop.body, `shop ${shopSite.site?.release ?? shopSite.release}`, 'shop serves the release the backup recorded as active');

    // the customers' tokens work as before, each sees its own sites; the old admin token is refused
    assert.deepEqual(JSON.parse((await ok(restored.cli(['site', 'list', '--json'], { token: tokens.acme! }))).stdout).sites.map((s: { name: string }) => s.name).sort(), ['blog', 'www']);
    assert.deepEqual(JSON.parse((await ok(restored.cli(['site', 'list', '--json'], { token: tokens.globex! }))).stdout).sites.map((s: { name: string }) => s.name), ['shop']);
    assert.equal((await ok(restored.cli(['releases', 'blog', '--json'], { token: tokens.acme! }))).stdout, before_.releases);
    assert.equal((await ok(restored.cli(['cert', 'list', 'blog', '--json'], { token: tokens.acme! }))).stdout, before_.cert);
    assert.equal(await waitFor(async () => { const f = await servedCertificate(restored, 'blog.acme.test'); return f === before_.tlsBlog && f; }, { timeoutMs: 10_000, what: "blog's certificate served again" }), before_.tlsBlog);
    assert.equal(await servedCertificate(restored, 'localhost'), before_.tlsDev, 'the same development certificate');
    assert.notEqual(before_.tlsBlog, before_.tlsDev);
    const old = await restored.cli(['customer', 'list'], { token: farm.token });
    assert.equal(old.code, 1);
    assert.match(old.stderr, /token/);
    assert.deepEqual(JSON.parse((await ok(restored.cli(['customer', 'list', '--json']))).stdout).customers.map((c: { name: string }) => c.name).sort(), ['acme', 'globex']);

    // the schedule: a backup a second, the newest two kept
    const seen = new Set<string>();
    await waitFor(async () => {
      for (const f of await readdir(scheduled).catch(() => [])) if (/^farm-.*\.tar\.gz$/.test(f)) seen.add(f);
      return seen.size >= 3;
    }, { timeoutMs: 30_000, what: 'three scheduled backups' });
    // each new backup is written, then the oldest pruned: poll past the moment between the two
    await waitFor(async () => (await readdir(scheduled)).filter((f) => /^farm-.*\.tar\.gz$/.test(f)).length <= 2, { timeoutMs: 10_000, what: 'older backups pruned: the newest two kept' });
  });

  /** The fingerprint of the certificate the farm's HTTPS listener presents for `servername`. */
  async function servedCertificate(f: FarmProcess, servername: string): Promise<string> {
    const url = new URL(/https\s+(https:\/\/\S+)/.exec(f.output())![1]!);
    const { connect } = await import('node:tls');
    return new Promise((done, fail) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), servername, rejectUnauthorized: false }, () => {
        done(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on('error', fail);
    });
  }

  /** A folder with one index.html. */
  async function site(name: string, body: string): Promise<string> {
    const dir = join(trial.work, 'sites', name.replaceAll(' ', '-'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.html'), body);
    return dir;
  }

  async function certificate(name: string): Promise<{ cert: string; key: string }> {
    const { execFileSync } = await import('node:child_process');
    const cert = join(trial.work, 'c.pem');
    const key = join(trial.work, 'k.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    return { cert, key };
  }
});
