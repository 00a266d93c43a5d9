// --reserved-domains: split, normalised, and a bad entry fails at start with the flag named;
// --api-connections-per-address: a whole number, 0 for none, anything else refused with the flag named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { apiConnectionsPerAddress, reservedDomains } from './cluster-options.ts';

test('--reserved-domains takes a comma-separated list of names and *. wildcards', async () => {
  assert.deepEqual(await reservedDomains(undefined), []);
  assert.deepEqual(await reservedDomains(' Status.Farm.example, *.corp.example,,status.farm.example. '), ['status.farm.example', '*.corp.example']);
  for (const bad of ['ok.example,not a host', 'http://x.example', '*.*.x.example']) {
    await assert.rejects(() => reservedDomains(bad), (err: unknown) => err instanceof CliError && /^--reserved-domains: reserved domain .* is not a hostname/.test(err.message), bad);
  }
});

test('--api-connections-per-address takes 0 (no limit) to 1000000', () => {
  assert.equal(apiConnectionsPerAddress('256'), 256);
  assert.equal(apiConnectionsPerAddress('0'), 0);
  for (const bad of ['-1', 'x', '1.5', '1000001', '']) {
    assert.throws(() => apiConnectionsPerAddress(bad), (err: unknown) => err instanceof CliError && /^--api-connections-per-address/.test(err.message), bad);
  }
});
