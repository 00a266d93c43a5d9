import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ejects, failureKind, hasBody, isReplayable, mayRetry } from './retry-policy.ts';

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

test('connection failures eject the endpoint; slow answers do not', () => {
  assert.equal(ejects('unsent'), true);
  assert.equal(ejects('broken'), true);
  assert.equal(ejects('timeout'), false);
  assert.equal(ejects('other'), false);
});
