// The console's Sites list counts a pooled site's ready replicas the way `corral status`
// does: a pool VS's own site is `pool`, and it counts for each site it serves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ok, removeDir, REPO, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { browserSkipReason, buildConsole, launchBrowser, type TestBrowser } from './helpers/browser.ts';
import { waitFor } from '../src/lib/wait.ts';

const T = { timeout: 20_000 };

describe('the console lists a pooled site as ready', { skip: browserSkipReason() }, () => {
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

  it('shows 1/1, in green, for a static site served by a pool VS', async () => {
    await ok(farm.cli(['customer', 'create', 'acme']));
    // static sites are pooled by default: served by a pool VS whose own site is `pool`
    await ok(farm.cli(['site', 'create', 'www', '--customer', 'acme', '--kind', 'static', '--domain', 'www.acme.test']));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'www']));
    const status = (await ok(farm.cli(['status']))).stdout;
    assert.match(status, /^www\s+static\s+\S+\s+1\/1 ✓/m, 'the CLI counts it ready');
    await page.goto(`${farm.apiUrl}/console/`);
    await page.getByTestId('token').fill(farm.token);
    await page.getByTestId('signin').click();
    await page.getByTestId('whoami').waitFor(T);
    await page.goto(`${farm.apiUrl}/console/#/sites`);
    const badge = page.locator('[data-testid=site-row][data-site=www] [data-testid=site-ready]');
    await badge.waitFor(T);
    // the list polls every 2 s: wait for it to read what the CLI read
    let shown = '';
    await waitFor(async () => (shown = await badge.innerText()) === '1/1', { timeoutMs: 15_000, what: 'www 1/1 in the Sites list' })
      .catch((err: Error) => assert.fail(`${err.message}; it shows ${shown}`));
    assert.match(await badge.getAttribute('class') ?? '', /\bok\b/);
  });
});
