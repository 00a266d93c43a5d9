// The console's site page for a site that autoscales: its bounds, that it is idle
// (scaled to zero) and its scaling decisions with their reasons; no scale form.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ok, removeDir, REPO, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { browserSkipReason, buildConsole, launchBrowser, type TestBrowser } from './helpers/browser.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const T = { timeout: 20_000 };

describe('the console shows autoscaling', { skip: browserSkipReason() }, () => {
  let farm: FarmProcess;
  let browser: TestBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    const [f] = await Promise.all([startFarmProcess(), buildConsole()]);
    farm = f;
    browser = await launchBrowser();
    page = await browser.page();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  after(async () => {
    await browser?.close();
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });

  it('bounds, idle now, and the decisions with their reasons', async () => {
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'nap', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health',
      '--domain', 'nap.acme.test', '--drain-timeout', '0', '--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', '2s']));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'nap']));
    assert.equal((await get(farm.routerUrl, 'nap.acme.test')).status, 200);
    await page.goto(`${farm.apiUrl}/console/`);
    await page.getByTestId('token').fill(farm.token);
    await page.getByTestId('signin').click();
    await page.getByTestId('whoami').waitFor(T);
    await page.goto(`${farm.apiUrl}/console/#/sites/nap`);
    const box = page.getByTestId('autoscaling');
    await box.waitFor(T);
    assert.match(await box.innerText(), /0–2, aiming at 10 requests in flight per VS/);
    await waitFor(async () => /idle now/.test(await box.innerText()), { timeoutMs: 30_000, what: 'the page says idle' });
    // the site may have gone idle more than once by now (a wake in between): any of those rows
    await page.getByTestId('scaling-decision').filter({ hasText: /no request for [\d.]+s \(idle timeout 2s\)/ }).first().waitFor(T);
    assert.equal(await page.getByTestId('scale').count(), 0, 'no fixed-count form while it autoscales');
    assert.match(await page.getByTestId('ready').innerText(), /autoscaled 0–2/);
  });
});
