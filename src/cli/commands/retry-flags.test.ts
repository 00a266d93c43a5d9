import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { staticSite, startController } from '../../controller/test-harness.ts';
import { RETRY_DEFAULTS } from '../../model/index.ts';
import { durationMs, hasRetryFlags, RETRY_HELP, retryBody, retryText } from './retry-flags.ts';

const CORRAL = fileURLToPath(new URL('../../../bin/corral.js', import.meta.url));

test('retry flags merge into the stored settings; "default" and "off" drop one', () => {
  assert.equal(hasRetryFlags({}), false);
  assert.equal(hasRetryFlags({ maxTries: '2' }), true);
  assert.deepEqual(retryBody({ perTryTimeout: '2s', retryBudget: '0.2' }, undefined), { perTryTimeoutMs: 2000, budgetRatio: 0.2 });
  assert.deepEqual(retryBody({ minRetries: '5', maxTries: '3' }, { perTryTimeoutMs: 500 }), { perTryTimeoutMs: 500, minRetriesPerSecond: 5, maxTries: 3 });
  assert.deepEqual(retryBody({ perTryTimeout: 'off', retryBudget: '25%' }, { perTryTimeoutMs: 500, maxTries: 2 }), { budgetRatio: 0.25, maxTries: 2 });
  assert.deepEqual(retryBody({ maxTries: 'default' }, { maxTries: 2 }), {});
  assert.throws(() => retryBody({ retryBudget: 'lots' }, undefined), /--retry-budget must be a ratio/);
  assert.throws(() => retryBody({ maxTries: '1.5' }, undefined), /--max-tries must be a whole number/);
});

test('the CLI states the router\'s retry defaults from the model (RETRY_DEFAULTS), not its own copy', () => {
  const { budgetRatio, minRetriesPerSecond, perTryTimeoutMs, budgetWindowSeconds } = RETRY_DEFAULTS;
  assert.equal(retryText(undefined), `per-try timeout the router's (${perTryTimeoutMs / 1000} s), retry budget ${budgetRatio} + ${minRetriesPerSecond}/s, max tries per endpoints`);
  assert.ok(RETRY_HELP.includes(`over ${budgetWindowSeconds} s (default ${budgetRatio})`) && RETRY_HELP.includes(`(default ${minRetriesPerSecond})`), RETRY_HELP);
});

test('durations: s, ms, m or plain milliseconds', () => {
  assert.equal(durationMs('2s', '--x'), 2000);
  assert.equal(durationMs('1.5s', '--x'), 1500);
  assert.equal(durationMs('250ms', '--x'), 250);
  assert.equal(durationMs('1m', '--x'), 60_000);
  assert.equal(durationMs('300', '--x'), 300);
  assert.throws(() => durationMs('2 hours', '--per-try-timeout'), /--per-try-timeout must be a duration such as 2s/);
  assert.throws(() => durationMs('0.5ms', '--x'), /must be a duration/);
  for (const spaced of [' 2s', '2s ', ' 300 ']) assert.throws(() => durationMs(spaced, '--x'), /must be a duration/, JSON.stringify(spaced));
});

test('corral site set --per-try-timeout … changes the stored settings; a bad value is refused by the API', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { retry: { maxTries: 2 } }))).status, 201);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const env = { ...process.env, CORRAL_API: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`, CORRAL_TOKEN: acme.token! };
  const corral = (args: string[]) =>
    new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, [CORRAL, ...args], { env }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr })),
    );
  const set = await corral(['site', 'set', 'blog', '--per-try-timeout', '2s', '--retry-budget', '0.1', '--min-retries', '5']);
  assert.equal(set.code, 0, set.out);
  assert.match(set.out, /per-try timeout 2000ms, retry budget 0\.1 \+ 5\/s, max tries 2/);
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.retry, { maxTries: 2, perTryTimeoutMs: 2000, budgetRatio: 0.1, minRetriesPerSecond: 5 });
  const bad = await corral(['site', 'set', 'blog', '--retry-budget', '1.5']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /body\.retry\.budgetRatio must be <= 1/);
});
