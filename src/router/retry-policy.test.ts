import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ejects, failureKind, hasBody, isReplayable, maxTries, mayRetry, perTryTimeoutMs } from './retry-policy.ts';
import type { Route } from '../model/index.ts';

const err = (code: string) => Object.assign(new Error(code), { code });

test('failures are classified by where they happened', () => {
  assert.equal(failureKind(err('ECONNREFUSED')), 'unsent');
  assert.equal(failureKind(err('UND_ERR_CONNECT_TIMEOUT')), 'unsent');
  assert.equal(failureKind(err('ECONNRESET')), 'broken');
  assert.equal(failureKind(err('UND_ERR_SOCKET')), 'broken');
  assert.equal(failureKind(err('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
  assert.equal(failureKind(new Error('x')), 'other');
  assert.equal(failureKind(null), 'other');
});

test('only bodiless idempotent requests are replayable', () => {
  assert.equal(isReplayable('GET', {}), true);
  assert.equal(isReplayable('DELETE', { 'content-length': '0' }), true);
  assert.equal(isReplayable('PUT', { 'content-length': '3' }), false);
  assert.equal(isReplayable('GET', { 'transfer-encoding': 'chunked' }), false);
  assert.equal(isReplayable('POST', {}), false);
  assert.equal(isReplayable('PATCH', {}), false);
  assert.equal(hasBody({ 'content-length': '0' }), false);
});

test('retry only what cannot have taken effect', () => {
  const get = { replayable: true, bodyless: true, bodyUnread: false };
  const bodylessPost = { replayable: false, bodyless: true, bodyUnread: false };
  const postUnread = { replayable: false, bodyless: false, bodyUnread: true };
  const postSent = { replayable: false, bodyless: false, bodyUnread: false };
  assert.equal(mayRetry('unsent', get), true);
  assert.equal(mayRetry('unsent', bodylessPost), true);
  assert.equal(mayRetry('unsent', postUnread), true);
  assert.equal(mayRetry('unsent', postSent), false);
  assert.equal(mayRetry('broken', get), true);
  assert.equal(mayRetry('broken', bodylessPost), false);
  assert.equal(mayRetry('broken', postUnread), true);
  assert.equal(mayRetry('broken', postSent), false);
  assert.equal(mayRetry('timeout', get), false);
  assert.equal(mayRetry('other', get), false);
});

test('a timed-out try is retried only for a replayable request under a per-try timeout', () => {
  assert.equal(mayRetry('timeout', { replayable: true, bodyless: true, bodyUnread: false, perTryTimeout: true }), true);
  assert.equal(mayRetry('timeout', { replayable: false, bodyless: true, bodyUnread: false, perTryTimeout: true }), false);
  assert.equal(mayRetry('timeout', { replayable: false, bodyless: false, bodyUnread: true, perTryTimeout: true }), false);
});

test('tries: maxTries, else the endpoint count (at least 2); a timeout moves on only to an untried endpoint', () => {
  const r = (n: number, retry?: Route['retry']): Route => ({
    site: 's', domains: [], updatedAt: '', retry,
    endpoints: Array.from({ length: n }, (_, i) => ({ vs: `v${i}`, address: '127.0.0.1', port: 1000 + i, release: 'r' })),
  });
  assert.equal(maxTries(r(1), 'broken'), 2);
  assert.equal(maxTries(r(3), 'broken'), 3);
  assert.equal(maxTries(r(3, { maxTries: 1 }), 'unsent'), 1);
  assert.equal(maxTries(r(1), 'timeout'), 1);
  assert.equal(maxTries(r(5, { maxTries: 3 }), 'timeout'), 3);
  assert.equal(perTryTimeoutMs(r(2, { perTryTimeoutMs: 200 }), true, 60_000), 200);
  assert.equal(perTryTimeoutMs(r(2, { perTryTimeoutMs: 200 }), false, 60_000), undefined, 'not replayable');
  assert.equal(perTryTimeoutMs(r(2, { perTryTimeoutMs: 90_000 }), true, 60_000), 60_000, 'never beyond the router-wide timeout');
  assert.equal(perTryTimeoutMs(r(2), true, 60_000), undefined);
});

test('connection failures eject the endpoint; slow answers do not', () => {
  assert.equal(ejects('unsent'), true);
  assert.equal(ejects('broken'), true);
  assert.equal(ejects('timeout'), false);
  assert.equal(ejects('other'), false);
});
