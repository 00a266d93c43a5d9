// The web console end to end, in Debian's chromium: `corral up`, sign in, the farm view
// with engines and guests, a site created and deployed from the browser and watched until
// ready, scaled, its request chart moving under traffic (5xx and 4xx apart), its logs tailed,
// read, narrowed and searched, a folder deployed, a rollback to an older release from the
// history, the events, and a customer who never sees another customer's site in any view. Screenshots
// of the main views go to a temporary folder, or to docs/screenshots/ with
// CORRAL_SCREENSHOTS=docs/screenshots (so a test run leaves the work tree clean).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { create as createTar } from 'tar';
import { startFarmProcess, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { browserSkipReason, buildConsole, launchBrowser, type TestBrowser } from './helpers/browser.ts';
import { get, requestLoop } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');
const SHOTS = process.env.CORRAL_SCREENSHOTS ? resolve(REPO, process.env.CORRAL_SCREENSHOTS) : mkdtempSync(join(tmpdir(), 'corral-shots-'));
const T = { timeout: 20_000 };

describe('the web console', { skip: browserSkipReason() }, () => {
  let farm: FarmProcess;
  let browser: TestBrowser;
  let work = '';
  let tarball = '';
  let acmeToken = '';
  let admin: Page;
  let acme: Page;
  const pageErrors: string[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-console-'));
    tarball = join(work, 'site.tar.gz');
    const [f] = await Promise.all([
      startFarmProcess(),
      buildConsole(),
      createTar({ gzip: true, file: tarball, cwd: STATIC_EXAMPLE, portable: true }, ['.']),
    ]);
    farm = f;
    // Set up through the API directly (the CLI is tested elsewhere): quicker than four CLI runs.
    acmeToken = (await api('POST', '/v1/customers', farm.token, { name: 'acme' })).token as string;
    const globex = (await api('POST', '/v1/customers', farm.token, { name: 'globex' })).token as string;
    await api('POST', '/v1/sites', globex, { name: 'secret', domains: ['secret.globex.test'], kind: 'static' });
    await api('POST', '/v1/sites/secret/releases?activate=true', globex, await readFile(tarball));
    browser = await launchBrowser();
    const open = async () => {
      const page = await browser.page();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return page;
    };
    [admin, acme] = [await open(), await open()];
  });
  after(async () => {
    await browser?.close();
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function api(method: string, path: string, token: string, body: unknown): Promise<any> {
    const raw = Buffer.isBuffer(body);
    const res = await fetch(`${farm.apiUrl}${path}`, {
      method, body: raw ? body : body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': raw ? 'application/gzip' : 'application/json' }) },
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${farm.apiUrl}/console/`);
    await page.getByTestId('token').fill(token);
    await page.getByTestId('signin').click();
    await page.getByTestId('whoami').waitFor(T);
  }

  it('prints the console URL in the banner and refuses a wrong token', async () => {
    assert.match(farm.output(), /console\s+http:\/\/127\.0\.0\.1:\d+\/console\//);
    await admin.goto(`${farm.apiUrl}/console/`);
    await admin.getByTestId('token').fill('crl_not-a-token');
    await admin.getByTestId('signin').click();
    await admin.getByRole('alert').getByText('That token is not valid.').waitFor(T);
  });

  it('signs an admin in and draws the farm: the engine with its guests inside', async () => {
    await signIn(admin, farm.token);
    assert.equal(await admin.getByTestId('whoami').innerText().then((s) => s.startsWith('admin')), true);
    // secret is pooled (the default for static sites): globex's pool VS, listing it with its release
    await admin.locator('[data-testid=engine] [data-testid=guest][data-site=pool][data-state=ready]', { has: admin.getByTestId('pool-sites').getByText('secret@v1') }).waitFor(T);
    assert.equal(await admin.getByTestId('engine').count(), 1);
    assert.match(await admin.getByTestId('router').innerText(), /secret\.globex\.test → secret/);
    const legend = await admin.getByTestId('farm-legend').innerText();
    assert.match(legend, /guest OS.*own system/is);
    assert.match(legend, /engine OS.*host/is);
    assert.match(await admin.locator('[data-testid=engine] .engine-os').first().getAttribute('title') ?? '', /engine agent/);
    await admin.screenshot({ path: join(SHOTS, 'farm.png') });
  });

  it('creates a site, deploys a .tar.gz from the browser and follows the rollout until ready', async () => {
    await signIn(acme, acmeToken);
    await acme.getByTestId('nav-sites').click();
    await acme.getByTestId('new-name').fill('www');
    await acme.getByTestId('new-domain').fill('www.acme.test, acme.test');
    assert.equal(await acme.getByTestId('new-customer').count(), 0, 'a customer creates only its own sites');
    await acme.getByTestId('new-env').fill('GREETING=hello world\nMODE=demo');
    await acme.getByText('Limits and balancing').click();
    await acme.getByTestId('new-rate').fill('100000');
    await acme.getByTestId('new-max-body').fill('2');
    await acme.getByTestId('create-site').click();
    await acme.waitForURL(/#\/deploy\/www$/, T);
    // VSs of its own (the form makes static sites pooled, the default): scaled to 2 on this one
    // engine and its logs filtered per VS below, which a pool (one replica per engine) cannot show
    await api('PATCH', '/v1/sites/www', acmeToken, { pooled: false });
    const { site } = await api('GET', '/v1/sites/www', acmeToken, undefined);
    assert.deepEqual([site.domains, site.env, site.limits], [['www.acme.test', 'acme.test'], { GREETING: 'hello world', MODE: 'demo' },
      { requestsPerSecond: 100000, maxBodyBytes: 2 * 1024 * 1024 }]);
    await acme.getByTestId('deploy-mode-tarball').check();
    await acme.getByTestId('deploy-file').setInputFiles(tarball);
    await acme.getByTestId('deploy-submit').click();
    await acme.locator('[data-testid=rollout][data-done=yes]').waitFor({ timeout: 30_000 });
    assert.equal(await acme.getByTestId('upload-progress').getAttribute('data-pct'), '100');
    assert.match(await acme.getByTestId('rollout-status').innerText(), /ready: 1\/1 serving release #1/);
    await acme.screenshot({ path: join(SHOTS, 'deploy.png') });
    const page = await get(farm.routerUrl, 'www.acme.test', '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /Corral static example/);
  });

  it('scales the site and its request chart moves while traffic flows', async () => {
    await acme.goto(`${farm.apiUrl}/console/#/sites/www`);
    // its certificate state: .test names take the default certificate unless the site asks for ACME
    assert.equal(await acme.getByTestId('cert-state').innerText(), 'none');
    assert.match(await acme.getByTestId('certificate').innerText(), /off \(default certificate\)/);
    await acme.getByTestId('replicas').fill('2');
    await acme.getByTestId('scale').click();
    await acme.getByTestId('ready').getByText('2/2 ready').waitFor({ timeout: 30_000 });
    assert.equal(await acme.locator('[data-testid=vs-row][data-state=ready]').count(), 2);
    const load = requestLoop(farm.routerUrl, 'www.acme.test', { concurrency: 4 });
    try {
      const moved = async (chart: string) => Number((await acme.getByTestId(chart).getAttribute('data-last')) || 0) > 0;
      await waitFor(async () => (await moved('chart-rps')) && (await moved('chart-p50')), { timeoutMs: 20_000, what: 'the request chart to move' });
    } finally {
      const result = await load.stop();
      assert.deepEqual(result.failed, []);
    }
    // Requests for missing pages are client errors (4xx), charted apart from server errors (5xx).
    await waitFor(async () => {
      for (let i = 0; i < 5; i++) assert.equal((await get(farm.routerUrl, 'www.acme.test', '/no-such-page')).status, 404);
      return Number((await acme.getByTestId('chart-client-errors').getAttribute('data-last')) || 0) > 0;
    }, { timeoutMs: 20_000, what: 'the 4xx chart to move' });
    assert.equal(await acme.getByTestId('chart-errors').getAttribute('data-last'), '0', 'a 404 is not a server error');
    assert.match(await acme.getByTestId('chart-errors').innerText(), /Server errors \(5xx\)/);
    assert.match(await acme.getByTestId('chart-client-errors').innerText(), /Client errors \(4xx\)/);
    const stats = await api('GET', '/v1/sites/www/stats?seconds=60', acmeToken, undefined);
    assert.ok(stats.points.some((p: { clientErrors?: number }) => (p.clientErrors ?? 0) > 0), 'the stats API counts 4xx');
    await acme.screenshot({ path: join(SHOTS, 'site.png'), fullPage: true });
  });

  it('tails the site\'s logs live and searches them', async () => {
    await acme.getByTestId('nav-logs').click();
    await acme.getByTestId('logs').getByText('web runtime listening').first().waitFor(T);
    const vsNames = await acme.getByTestId('logs-vs').locator('option').allInnerTexts();
    assert.ok(vsNames.filter((n) => n.startsWith('www-')).length >= 2, `a filter per guest: ${vsNames.join(', ')}`);
    // A JSON line is read, not dumped: its level, message and the other keys apart.
    const listening = acme.locator('[data-testid=log-line][data-level=info]', { hasText: 'web runtime listening' }).first();
    assert.match(await listening.innerText(), /INFO\s+web runtime listening.*port=\d+/s);
    assert.ok((await acme.getByTestId('log-line').allInnerTexts()).every((l) => !l.includes('{"level"')), 'no raw JSON lines');
    await acme.getByTestId('logs-search').fill('listening');
    const lines = await acme.getByTestId('logs').locator('div').allInnerTexts();
    const shown = lines.filter((l) => l.trim() !== '');
    assert.ok(shown.length >= 2 && shown.every((l) => l.includes('listening')), shown.join('\n'));
    await acme.screenshot({ path: join(SHOTS, 'logs.png') });
    await acme.getByTestId('logs-search').fill('');
    // The filters narrow: one VS's lines only, then nothing below warn.
    const all = await acme.getByTestId('log-line').count();
    await acme.getByTestId('logs-vs').selectOption(vsNames.filter((n) => n.startsWith('www-'))[0]!);
    const oneVs = await acme.getByTestId('log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-vs')));
    assert.ok(oneVs.length > 0 && oneVs.length < all && new Set(oneVs).size === 1, `one VS's lines: ${oneVs.length} of ${all}`);
    await acme.getByTestId('logs-vs').selectOption('');
    await acme.getByTestId('logs-level').selectOption('warn');
    const levels = await acme.getByTestId('log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-level')));
    assert.ok(levels.length < all && levels.every((l) => ['warn', 'error', 'fatal'].includes(l ?? '')), `warn and above: ${levels.join(',')}`);
    await acme.getByTestId('logs-level').selectOption('');
    for (const source of ['router', 'app']) {
      await acme.getByTestId('logs-source').selectOption(source);
      const sources = await acme.getByTestId('log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
      assert.ok(sources.every((s) => s === source) && (source === 'router' || sources.length > 0), `${source}: ${sources.join(',')}`);
    }
    await acme.getByTestId('logs-source').selectOption('');
    // Live: scaling down drains one guest, whose goodbye arrives on the open stream.
    await api('POST', '/v1/sites/www/scale', acmeToken, { replicas: 1 });
    await acme.getByTestId('logs').getByText('draining in-flight requests').first().waitFor(T);
  });

  it('creates an app site with the CLI\'s settings, and refuses a malformed environment line in the page', async () => {
    await acme.goto(`${farm.apiUrl}/console/#/sites`);
    await acme.getByTestId('new-name').fill('api');
    await acme.getByTestId('new-domain').fill('api.acme.test');
    await acme.getByTestId('new-kind').selectOption('app');
    await acme.getByTestId('new-command').fill('node server.js');
    await acme.getByTestId('new-health').fill('/healthz');
    await acme.getByTestId('new-https-redirect').check();
    await acme.getByTestId('new-env').fill('GOOD=1\nnot an assignment');
    await acme.getByTestId('create-site').click();
    await acme.getByRole('alert').getByText('environment line 2: write KEY=VALUE').waitFor(T);
    const before = await api('GET', '/v1/sites', acmeToken, undefined);
    assert.ok(!before.sites.some((x: { name: string }) => x.name === 'api'), 'nothing created');
    await acme.getByTestId('new-env').fill('GOOD=1');
    await acme.getByTestId('create-site').click();
    await acme.waitForURL(/#\/deploy\/api$/, T);
    const { site } = await api('GET', '/v1/sites/api', acmeToken, undefined);
    assert.deepEqual([site.kind, site.command, site.healthPath, site.httpsRedirect, site.env], ['app', 'node server.js', '/healthz', true, { GOOD: '1' }]);
    await api('DELETE', '/v1/sites/api', acmeToken, undefined);
  });

  it('deploys a folder picked in the browser, packed into a .tar.gz on the page', async () => {
    const folder = join(work, 'my-site');
    await cp(STATIC_EXAMPLE, folder, { recursive: true });
    await writeFile(join(folder, 'index.html'), '<!doctype html><title>v2</title><h1>Release two, from a folder</h1>\n');
    // a path over ustar's 100-byte name field: packed with the prefix field
    const deep = `assets/${'d'.repeat(70)}/${'f'.repeat(60)}.txt`;
    await mkdir(join(folder, dirname(deep)), { recursive: true });
    await writeFile(join(folder, deep), 'deep file\n');
    // A name no tarball can hold is refused in the page, and nothing is uploaded.
    const bad = join(work, 'bad-site');
    await mkdir(bad);
    await writeFile(join(bad, `${'n'.repeat(120)}.html`), 'x');
    await acme.goto(`${farm.apiUrl}/console/#/deploy/www`);
    await acme.getByTestId('deploy-folder').setInputFiles(bad);
    await acme.getByTestId('deploy-submit').click();
    await acme.getByRole('alert').getByText('the path is too long for a tarball').waitFor(T);
    assert.equal((await api('GET', '/v1/sites/www/releases', acmeToken, undefined)).releases.length, 1);
    await acme.getByTestId('deploy-folder').setInputFiles(folder);
    assert.match(await acme.getByTestId('deploy-picked').innerText(), /^my-site\/: 6 files/);
    await acme.getByTestId('deploy-submit').click();
    await acme.locator('[data-testid=rollout][data-done=yes]').waitFor({ timeout: 30_000 });
    assert.match(await acme.getByTestId('rollout-status').innerText(), /serving release #2/);
    assert.match((await get(farm.routerUrl, 'www.acme.test', '/')).body, /Release two, from a folder/);
    assert.equal((await get(farm.routerUrl, 'www.acme.test', '/about/')).status, 200, 'subfolders are packed too');
    assert.equal((await get(farm.routerUrl, 'www.acme.test', `/${deep}`)).body, 'deep file\n');
  });

  it('lists every release and rolls back to an older one than the previous (v1 after v3)', async () => {
    const v3 = join(work, 'v3');
    await cp(STATIC_EXAMPLE, v3, { recursive: true });
    await writeFile(join(v3, 'index.html'), '<!doctype html><title>v3</title><h1>Release three</h1>\n');
    const v3Tarball = join(work, 'v3.tar.gz');
    await createTar({ gzip: true, file: v3Tarball, cwd: v3, portable: true }, ['.']);
    await api('POST', '/v1/sites/www/releases?activate=true', acmeToken, await readFile(v3Tarball));
    await acme.goto(`${farm.apiUrl}/console/#/sites/www`);
    await acme.locator('[data-testid=release-row][data-release=v3][data-current=yes]').waitFor(T);
    assert.deepEqual(await acme.getByTestId('release-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-release'))), ['v3', 'v2', 'v1']);
    await acme.locator('[data-testid=release-row][data-release=v1]').getByTestId('activate-release').click();
    await acme.locator('[data-testid=release-row][data-release=v1][data-current=yes]').waitFor(T);
    await waitFor(async () => /Corral static example/.test((await get(farm.routerUrl, 'www.acme.test', '/')).body), { timeoutMs: 30_000, what: 'the site to serve v1 again' });
    await acme.getByTestId('release-history').scrollIntoViewIfNeeded();
    await acme.screenshot({ path: join(SHOTS, 'releases.png'), fullPage: true });
    const events = await api('GET', '/v1/events?type=audit&limit=20', acmeToken, undefined);
    assert.ok(events.events.some((e: { action: string; result: string }) => e.action === 'release.activate' && e.result === 'ok'), 'the rollback is audited');
  });

  it('shows the audit trail and farm events', async () => {
    await admin.getByTestId('nav-events').click();
    await admin.locator('[data-testid=event-row][data-action="site.scale"]').first().waitFor(T);
    const text = await admin.getByTestId('events').innerText();
    assert.match(text, /release\.upload\s+customer:acme:first\s+site\/www/);
    assert.match(text, /engine\.joined/);
    await admin.screenshot({ path: join(SHOTS, 'events.png') });
    await admin.getByTestId('nav-sites').click();
    await admin.locator('[data-testid=site-row][data-site=www]').waitFor(T);
    await admin.screenshot({ path: join(SHOTS, 'sites.png') });
  });

  it('never shows a customer another customer\'s site, in any view', async () => {
    const views: [string, string][] = [
      ['farm', '[data-testid=guest][data-site=www]'],
      ['sites', '[data-testid=site-row][data-site=www]'],
      ['events', '[data-testid=event-row][data-action="site.create"]'],
      ['deploy', '[data-testid=deploy-site] option[value=www]'],
      ['logs', '[data-testid=logs-site] option[value=www]'],
      ['sites/www', '[data-testid=site-detail]'],
    ];
    for (const [hash, own] of views) {
      await acme.goto(`${farm.apiUrl}/console/#/${hash}`);
      await acme.locator(own).first().waitFor({ ...T, state: 'attached' });
      const html = await acme.locator('main').innerHTML();
      assert.doesNotMatch(html, /secret|globex/, `view ${hash}`);
    }
    await acme.goto(`${farm.apiUrl}/console/#/sites/secret`);
    await acme.getByText('site secret not found').waitFor(T);
    // The API is what enforces it: the same token asking directly gets 404.
    const direct = await fetch(`${farm.apiUrl}/v1/sites/secret/stats`, { headers: { authorization: `Bearer ${acmeToken}` } });
    assert.equal(direct.status, 404);
  });
});
