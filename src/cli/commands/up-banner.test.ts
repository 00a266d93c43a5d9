import { test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseLine } from './up-banner.ts';

const pg = { port: 5433, osUser: 'postgres' };

test('the database line says where guests reach PostgreSQL under each runtime', () => {
  // namespace guests: a forwarder on their bridge address
  assert.equal(databaseLine(pg, 'namespace'),
    '  database PostgreSQL 127.0.0.1:5433, as postgres (started with the first database; guests reach it at their bridge address, port 5432)');
  // process guests share the host's network: no bridge, PostgreSQL itself on loopback
  const processLine = databaseLine(pg, 'process');
  assert.equal(processLine, '  database PostgreSQL 127.0.0.1:5433, as postgres (started with the first database; guests connect to it at 127.0.0.1:5433)');
  assert.doesNotMatch(processLine, /bridge/);
});

test('the database line says why there is no database service', () => {
  assert.equal(databaseLine({ unavailable: 'PostgreSQL 15 is not installed' }, 'process'), '  database PostgreSQL 15 is not installed');
});
