// End to end, as a user: a deployed static site put in maintenance with the CLI shows its
// page through the router with no redeploy; its own error page answers when it has no
// server; maintenance off serves it again. Another customer cannot touch it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');
const HOST = 'www.acme.test';
const MAINTENANCE_PAGE = '<!doctype html><h1>Acme is upgrading, back at noon</h1>';

describe('maintenance mode and error pages on a one-machine farm', () => {
  let farm: FarmProcess;
  let work = '';
  let acme = '';
  /** The API directly, for what is checked rather than done (each CLI run costs a process start). */
  const api = async (path: string, body?: unknown) => {
    const init = body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const res = await fetch(`${farm.apiUrl}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${farm.token}` } });
    return res.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const vsNames = async () => ((await api('/v1/vs')).virtualServers as { vs: string }[]).map((v) => v.vs).sort();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-maintenance-'));
    await writeFile(join(work, 'maintenance.html'), MAINTENANCE_PAGE);
    await writeFile(join(work, '503.html'), '<p>No server right now. Error {{errorId}}</p>');
    farm = await startFarmProcess();
    acme = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', 'acme']))).stdout)![1]!;
    await ok(farm.cli(['site', 'create', 'www', '--domain', HOST], { token: acme }));
    await ok(farm.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: acme }));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('turns maintenance on with the CLI: the router shows the page at once, with no redeploy', async () => {
    assert.equal((await get(farm.routerUrl, HOST)).status, 200);
    const before = await vsNames();
    const set = await ok(farm.cli(['site', 'set', 'www', '--maintenance', 'on', '--maintenance-page', join(work, 'maintenance.html')], { token: acme }));
    assert.match(set.stdout, /maintenance on \(own page\)/);
    await waitFor(async () => (await get(farm.routerUrl, HOST)).status === 503, { timeoutMs: 5_000, what: 'the maintenance page' });
    const page = await get(farm.routerUrl, HOST, '/about/');
    assert.equal(page.status, 503);
    assert.equal(page.body, MAINTENANCE_PAGE);
    assert.equal(page.headers['retry-after'], '120');
    assert.deepEqual(await vsNames(), before, 'the same virtual servers: nothing was redeployed');
    assert.match((await ok(farm.cli(['site', 'list'], { token: acme }))).stdout, /^www\s.*\s+on$/m);
    assert.match((await ok(farm.cli(['status']))).stdout, /in maintenance \(answering 503\): www/);
  });

  it('keeps another customer out: it can neither turn maintenance off nor set a page', async () => {
    const globex = (await api('/v1/customers', { name: 'globex' })).token as string;
    const r = await farm.cli(['site', 'set', 'www', '--maintenance', 'off', '--error-page', `503=${join(work, '503.html')}`], { token: globex });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not found/i);
    assert.equal((await get(farm.routerUrl, HOST)).status, 503, 'still in maintenance');
  });

  it('turns maintenance off: the site is served again', async () => {
    await ok(farm.cli(['site', 'set', 'www', '--maintenance', 'off'], { token: acme }));
    await waitFor(async () => (await get(farm.routerUrl, HOST)).status === 200, { timeoutMs: 5_000, what: 'the site again' });
    assert.match((await get(farm.routerUrl, HOST)).body, /Corral static example/);
    const { site } = await api('/v1/sites/www');
    assert.deepEqual(site.maintenance, { on: false, page: MAINTENANCE_PAGE }, 'the page is kept for next time');
  });

  it("answers with the site's own 503 page when it has no server, the error id filled in", async () => {
    await ok(farm.cli(['site', 'set', 'www', '--error-page', `503=${join(work, '503.html')}`], { token: acme }));
    await ok(farm.cli(['scale', 'www', '0'], { token: acme }));
    await waitFor(async () => (await get(farm.routerUrl, HOST)).status === 503, { timeoutMs: 5_000, what: 'no server' });
    const r = await get(farm.routerUrl, HOST);
    const id = String(r.headers['x-corral-error-id']);
    assert.equal(r.body, `<p>No server right now. Error ${id}</p>`);
    assert.match(String(r.headers['content-type']), /text\/html/);
    const removed = await ok(farm.cli(['site', 'set', 'www', '--error-page', '503='], { token: acme }));
    assert.match(removed.stdout, /error pages none/);
    const bad = await farm.cli(['site', 'set', 'www', '--error-page', `404=${join(work, '503.html')}`], { token: acme });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*errorPages\[404\].*404\.html/m);
  });
});
