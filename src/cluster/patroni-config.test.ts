import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkTiming, FARM_PATRONI_TIMING, patroniConfig, type PatroniConfigInput } from './patroni-config.ts';

const input: PatroniConfigInput = {
  name: 'e1', etcd: { endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], namespace: '/farm' },
  address: '10.0.0.5', pgPort: 5433, apiPort: 8008, dir: '/var/lib/corral/engine/patroni', binDir: '/usr/lib/postgresql/15/bin',
  secrets: { superuser: 's', replication: 'r', rewind: 'w', restapi: 'a' },
};

it("the member's configuration: the farm's etcd under its own namespace, synchronous, the farm's timing", () => {
  const c = patroniConfig(input) as Record<string, Record<string, unknown>> & { bootstrap: { dcs: Record<string, unknown> } };
  assert.equal(c.namespace, '/farm/corral/patroni');
  assert.equal(c.scope, 'db');
  assert.deepEqual(c.etcd3, { hosts: ['10.0.0.1:2379', '10.0.0.2:2379'] });
  assert.deepEqual(c.restapi, { listen: '10.0.0.5:8008', connect_address: '10.0.0.5:8008', authentication: { username: 'corral', password: 'a' } });
  const dcs = c.bootstrap.dcs;
  assert.equal(dcs.synchronous_mode, true);
  assert.equal(dcs.synchronous_mode_strict, false);
  assert.deepEqual([dcs.ttl, dcs.loop_wait, dcs.retry_timeout], [6, 1, 2]);
  assert.equal(c.postgresql!.listen, '10.0.0.5:5433');
  assert.ok((c.postgresql!.pg_hba as string[]).every((line) => !/\btrust\b/.test(line)), 'no trust line');
});

it("Patroni's timing rule is checked before it starts", () => {
  checkTiming(FARM_PATRONI_TIMING);
  checkTiming({ ttl: 30, loopWait: 10, retryTimeout: 10 });
  assert.throws(() => checkTiming({ ttl: 5, loopWait: 2, retryTimeout: 2 }), (err: Error & { code?: string }) => err.code === 'CLUSTER_DB_BAD_TIMING' && /at least loop_wait \+ 2 × retry_timeout \(6 s\)/.test(err.message));
  assert.throws(() => checkTiming({ ttl: 6, loopWait: 0.5, retryTimeout: 2 }), /loopWait must be a whole number/);
  assert.throws(() => patroniConfig({ ...input, timing: { ttl: 3, loopWait: 1, retryTimeout: 2 } }), /ttl \(3 s\)/);
});
