import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pagesBody } from './site-pages-flags.ts';

test('the maintenance and error-page flags become the API fields, pages read from files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-pages-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const page = join(dir, 'p.html');
  await writeFile(page, '<h1>é</h1>');
  await writeFile(join(dir, 'empty.html'), '');
  await writeFile(join(dir, 'big.html'), 'x'.repeat(65_537));

  assert.deepEqual(await pagesBody({ errorPage: [] }), {});
  assert.deepEqual(await pagesBody({ maintenance: 'on', maintenancePage: page, maintenanceAllow: '10.0.0.1, 2001:db8::/32', errorPage: [] }), {
    maintenance: { on: true, page: '<h1>é</h1>', allowIps: ['10.0.0.1', '2001:db8::/32'] },
  });
  assert.deepEqual(await pagesBody({ maintenancePage: '', maintenanceAllow: '', errorPage: [`502=${page}`, '503='] }), {
    maintenance: { page: '', allowIps: [] },
    errorPages: { '502': '<h1>é</h1>', '503': '' },
  });
  assert.deepEqual(await pagesBody({ maintenance: 'default', maintenancePage: 'default', maintenanceAllow: 'default', errorPage: ['502=default'] }), {
    maintenance: { on: false, page: '', allowIps: [] },
    errorPages: { '502': '' },
  }, '"default" removes, as for every site set flag');
  await assert.rejects(pagesBody({ maintenance: 'yes', errorPage: [] }), /--maintenance must be on, off or default/);
  await assert.rejects(pagesBody({ errorPage: ['502'] }), /--error-page must be STATUS=file\.html/);
  await assert.rejects(pagesBody({ errorPage: [`502=${join(dir, 'missing.html')}`] }), /--error-page 502: no such file/);
  await assert.rejects(pagesBody({ errorPage: [`502=${join(dir, 'big.html')}`] }), /is 65537 bytes; a page may be at most 65536/);
  await assert.rejects(pagesBody({ maintenancePage: join(dir, 'empty.html'), errorPage: [] }), /is empty \(to remove the page: --maintenance-page=\)/);
});
