import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROUTER_ERROR_CODES, UnknownHostError } from './errors.ts';
import { ROUTER_ANSWER_CODES } from './access-log.ts';

test('every router error code, and every code of the router\'s other answers (access records), is documented in README.md', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  for (const code of [...ROUTER_ERROR_CODES, ...ROUTER_ANSWER_CODES]) assert.ok(readme.includes(`\`${code}\``), `${code} is not in src/router/README.md`);
});

test('the unknown-host message names the host, shortened if huge', () => {
  assert.equal(new UnknownHostError('x.test').message, 'No site is configured for host x.test');
  assert.equal(new UnknownHostError('').message, 'No site is configured for host (none)');
  assert.ok(new UnknownHostError('a'.repeat(10_000)).message.length < 300);
});
