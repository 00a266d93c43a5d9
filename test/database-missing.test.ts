// `corral up` where PostgreSQL is not installed: one line says how to get it, sites serve
// as ever, and the database commands answer with the same hint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

describe('a farm without PostgreSQL', () => {
  let farm: FarmProcess;
  before(async () => {
    farm = await startFarmProcess({ env: { CORRAL_PG_BIN: '/nonexistent/postgresql/bin' } });
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('says how to install it in one line, and sites keep working', async () => {
    const line = farm.output().split('\n').filter((l) => l.includes('PostgreSQL'));
    assert.equal(line.length, 1, farm.output());
    assert.match(line[0]!, /database +PostgreSQL 15 is not installed .*apt-get install postgresql/);
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'www', '--customer', 'acme', '--kind', 'static', '--domain', 'www.acme.test']));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'www']));
    const r = await waitFor(async () => { const x = await get(farm.routerUrl, 'www.acme.test'); return x.status === 200 ? x : undefined; }, { what: 'the site' });
    assert.match(r.body, /Corral static example/);
    const db = await farm.cli(['db', 'create', 'orders', '--customer', 'acme']);
    assert.equal(db.code, 1);
    assert.match(db.stderr, /^error: this farm has no database service: install PostgreSQL 15 .*apt-get install postgresql/);
    assert.equal((await farm.cli(['site', 'set', 'www', '--db', 'orders'])).code, 1);
  });
});
