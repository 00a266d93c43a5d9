import assert from 'node:assert/strict';
import { test } from 'node:test';
import { egressRules } from './network.ts';

test("egress rules: a guest answers on its port, and with a database may also reach the forwarder's one address and port", () => {
  assert.deepEqual(egressRules({ egress: 'none', port: 8080 }), ['rule add pref 100 ipproto tcp sport 8080 lookup main', 'rule del pref 32766', 'rule del pref 32767']);
  assert.deepEqual(egressRules({ egress: 'none', port: 8080, db: { host: '10.213.7.1', port: 5432 } }), [
    'rule add pref 100 ipproto tcp sport 8080 lookup main',
    'rule add pref 101 to 10.213.7.1/32 ipproto tcp dport 5432 lookup main',
    'rule del pref 32766',
    'rule del pref 32767',
  ]);
  assert.deepEqual(egressRules({ egress: 'engine', port: 8080, db: { host: '10.213.7.1', port: 5432 } }), []);
});
