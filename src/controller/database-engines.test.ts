// A farm whose PostgreSQL runs on engines (a farm on etcd: `corral engine --db`): a
// database is created only while an engine's record says it runs a member. With none,
// the create is refused at once and nothing is claimed — it used to hold the name while
// it waited a minute for a primary that could not come, then gave it up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keys, type EngineRecord } from '../model/index.ts';
import { databaseSecrets } from './database-secrets.ts';
import type { DatabaseService } from './options.ts';
import { startController } from './test-harness.ts';

/** PostgreSQL as the controller sees it: creates counted; with no primary, a create fails as the cluster's does after its minute. */
function fakeService(primary: { up: boolean }): DatabaseService & { created: string[] } {
  const created: string[] = [];
  const none = async () => {};
  return {
    created,
    create: async (pgName) => {
      if (!primary.up) throw new Error('timed out after 60000 ms waiting for a primary in the database cluster');
      created.push(pgName);
    },
    drop: none, addLogin: none, dropLogin: none, setConnectionLimit: none, setReadOnly: none, restore: none,
    sizes: async () => new Map(),
    dump: () => { throw new Error('not in this test'); },
  };
}

const engine = (id: string, database?: true): EngineRecord => ({
  id, runtime: 'process', capacity: { cpus: 2, memoryMb: 2048, maxVirtualServers: 64 }, startedAt: new Date().toISOString(), ...(database ? { database } : {}),
});

describe('databases on engines started with --db', () => {
  it('refuses a create at once while no engine runs a member, and claims nothing', async (t) => {
    const primary = { up: false };
    const service = fakeService(primary);
    const h = await startController(t, { databases: { service, secrets: databaseSecrets(randomBytes(32)), onEngines: true } });
    const acme = await h.customer('acme');
    // an engine without --db serves sites, not databases
    await h.store.put(keys.engine('e1'), JSON.stringify(engine('e1')));
    const res = await acme.post('/v1/databases', { name: 'shop' });
    assert.equal(res.status, 409, res.body);
    assert.equal(res.json.error.code, 'no_database_engine');
    assert.match(res.json.error.message, /no engine of the farm runs PostgreSQL: start one .*corral engine --db/);
    assert.equal(await h.store.get(keys.database('shop')), undefined, 'the name is not claimed');
    assert.deepEqual((await acme.get('/v1/databases')).json.databases, []);
    assert.deepEqual(service.created, []);

    // an engine with a member registers: the create goes through
    await h.store.put(keys.engine('e2'), JSON.stringify(engine('e2', true)));
    primary.up = true;
    const made = await acme.post('/v1/databases', { name: 'shop' });
    assert.equal(made.status, 201, made.body);
    assert.equal(service.created.length, 1);
  });

  it('asks no engine of a farm whose PostgreSQL runs beside the controller (corral up)', async (t) => {
    const service = fakeService({ up: true });
    const h = await startController(t, { databases: { service, secrets: databaseSecrets(randomBytes(32)) } });
    const acme = await h.customer('acme');
    assert.equal((await acme.post('/v1/databases', { name: 'shop' })).status, 201);
  });
});
