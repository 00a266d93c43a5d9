// A site asking for more servers than the farm can place says why, everywhere the operator
// looks: `corral up --max-vs 3`, a site of 5 → `corral deploy` fails its timeout naming the
// reason, `corral status` shows it in the NOT READY cell, GET /v1/sites/:name/status, GET
// /v1/status and its stream carry it, the console's Sites list shows it; scaled down to fit,
// it is gone from all of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminGet, ok, REPO, startFarmProcess, stopAndRemove, type FarmProcess } from './helpers/farm-process.ts';
import { browserSkipReason, buildConsole, launchBrowser } from './helpers/browser.ts';
import { waitFor } from '../src/lib/wait.ts';
import type { FarmStatus, SiteStatus } from '../src/model/index.ts';

const FULL = 'every engine is at its most virtual servers (3/3)';
let farm: FarmProcess;

before(async () => {
  farm = await startFarmProcess({ extraArgs: ['--router-workers', '1', '--max-vs', '3'] });
  await ok(farm.cli(['customer', 'create', 'acme']));
  await ok(farm.cli(['site', 'create', 'big', '--customer', 'acme', '--kind', 'static', '--no-pooled', '--replicas', '5', '--domain', 'big.test']));
});
after(() => stopAndRemove(farm));

const api = <T>(path: string): Promise<T> => adminGet<T>(farm, path);

/** The first `status` event of the stream, parsed. */
async function streamed(): Promise<FarmStatus> {
  const ac = new AbortController();
  const res = await fetch(`${farm.apiUrl}/v1/status/stream`, { headers: { authorization: `Bearer ${farm.token}` }, signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended: ${text}`);
      text += Buffer.from(value).toString();
      const m = /event: status\ndata: (.*)\n\n/.exec(text);
      if (m) return JSON.parse(m[1]!) as FarmStatus;
    }
  } finally {
    ac.abort();
  }
}

test('a site of 5 on an engine of --max-vs 3: deploy, status, the API and its stream say why 2 are not placed', async () => {
  const deploy = await farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'big', '--timeout', '3']);
  assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
  assert.match(deploy.stderr, new RegExp(`rollout of big v1 not ready after 3 s \\(\\d/5 ready\\): 2 not placed: ${escape(FULL)}`));

  const site = await api<SiteStatus>('/v1/sites/big/status');
  assert.deepEqual([site.unplaced?.count, site.unplaced?.reason], [2, FULL]);
  assert.ok(!Number.isNaN(Date.parse(site.unplaced!.since)));
  const farmStatus = await api<FarmStatus>('/v1/status');
  assert.deepEqual(farmStatus.rollouts?.big?.unplaced, site.unplaced);
  assert.deepEqual((await streamed()).rollouts?.big?.unplaced, site.unplaced);

  const status = await ok(farm.cli(['status']));
  assert.match(status.stdout, new RegExp(`^big\\s.*\\s2 unplaced: ${escape(FULL)}\\s`, 'm'));
});

test("the console's Sites list shows why", { skip: browserSkipReason() }, async () => {
  await buildConsole();
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(`${farm.apiUrl}/console/`);
    await page.getByTestId('token').fill(farm.token);
    await page.getByTestId('signin').click();
    await page.getByTestId('nav-sites').click();
    const badge = page.locator('[data-testid=site-row][data-site=big] [data-testid=site-unplaced]');
    await badge.waitFor({ timeout: 20_000 });
    assert.equal(await badge.innerText(), `2 unplaced: ${FULL}`);
  } finally {
    await browser.close();
  }
});

test('scaled down to fit: the reason is gone from the API, the stream and corral status', async () => {
  assert.equal((await api<SiteStatus>('/v1/sites/big/status')).unplaced?.count, 2, 'still 2 unplaced before the scale');
  await ok(farm.cli(['scale', 'big', '3']));
  await waitFor(async () => (await api<SiteStatus>('/v1/sites/big/status')).unplaced === undefined, { timeoutMs: 10_000, what: 'the unplaced record cleared' });
  assert.equal((await api<FarmStatus>('/v1/status')).rollouts?.big?.unplaced, undefined);
  assert.equal((await streamed()).rollouts?.big?.unplaced, undefined);
  const status = await ok(farm.cli(['status']));
  assert.doesNotMatch(status.stdout, /unplaced/);
  assert.match(status.stdout, /^big\s/m);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
