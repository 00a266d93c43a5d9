import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routerConfig } from '../options.ts';
import { brokeAfterSending, ejects, endpointGoneError, MAX_BROKEN_TRIES, failureKind, hasBody, isReplayable, maxTries, mayRetry, perTryTimeoutMs } from './retry-policy.ts';
import type { Route } from '../../model/index.ts';

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
  assert.equal(mayRetry('broken', { ...get, brokenTries: 1 }), true, 'one break: a stale connection, or another request killed the backend');
  assert.equal(mayRetry('broken', { ...get, brokenTries: MAX_BROKEN_TRIES }), false, 'two: most likely the request itself');
  assert.equal(mayRetry('broken', { ...postUnread, brokenTries: MAX_BROKEN_TRIES }), true, 'a body not sent yet never reached a backend');
  assert.equal(brokeAfterSending(endpointGoneError('k'), false), false, 'the router cut it: not the request');
  assert.equal(brokeAfterSending(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false), true);
  assert.equal(mayRetry('timeout', get), false);
  assert.equal(mayRetry('other', get), false);
});

test('a timed-out try is retried only for a replayable request under a per-try timeout', () => {
  assert.equal(mayRetry('timeout', { replayable: true, bodyless: true, bodyUnread: false, perTryTimeout: true }), true);
  assert.equal(mayRetry('timeout', { replayable: false, bodyless: true, bodyUnread: false, perTryTimeout: true }), false);
  assert.equal(mayRetry('timeout', { replayable: false, bodyless: false, bodyUnread: true, perTryTimeout: true }), false);
});

test('tries: maxTries, else the endpoint count (at least 2); a timeout moves on only to an untried endpoint, and once only on the router\'s default per-try timeout', () => {
  const r = (n: number, retry?: Route['retry']): Route => ({
    site: 's', domains: [], updatedAt: '', retry,
    endpoints: Array.from({ length: n }, (_, i) => ({ vs: `v${i}`, address: '127.0.0.1', port: 1000 + i, release: 'r' })),
  });
  assert.equal(maxTries(r(1), 'broken'), 2);
  assert.equal(maxTries(r(3), 'broken'), 3);
  assert.equal(maxTries(r(3, { maxTries: 1 }), 'unsent'), 1);
  assert.equal(maxTries(r(1), 'timeout'), 1);
  assert.equal(maxTries(r(5, { maxTries: 3 }), 'timeout'), 2, "the router's default per-try timeout moves a request on once");
  assert.equal(maxTries(r(5, { maxTries: 3, perTryTimeoutMs: 200 }), 'timeout'), 3, "the site's own, as often as its maxTries");
  assert.equal(maxTries(r(5, { perTryTimeoutMs: 200 }), 'timeout'), 5);
});

test("per-try timeout: the site's on every try, else the router's (5 s by default) on a try another may follow, for replayable requests only", () => {
  const r = (retry?: Route['retry']): Route => ({ site: 's', domains: [], updatedAt: '', retry, endpoints: [] });
  const defaults = routerConfig();
  assert.equal(defaults.perTryTimeoutMs, 5_000, 'on by default');
  assert.equal(defaults.connectTimeoutMs, 1_000, 'a LAN connect timeout by default');
  assert.equal(perTryTimeoutMs(r(), true, true, defaults), 5_000, 'a site without retry settings gets the router default');
  assert.equal(perTryTimeoutMs(r(), true, false, defaults), undefined, 'but not on its last try: a slow page is not cut at 5 s');
  assert.equal(perTryTimeoutMs(r(), false, true, defaults), undefined, 'a POST or a body never gets one');
  assert.equal(perTryTimeoutMs(r({ perTryTimeoutMs: 200 }), true, true, defaults), 200);
  assert.equal(perTryTimeoutMs(r({ perTryTimeoutMs: 200 }), true, false, defaults), 200, "a site's own applies to its last try too");
  assert.equal(perTryTimeoutMs(r({ perTryTimeoutMs: 200 }), false, true, defaults), undefined, 'not replayable');
  assert.equal(perTryTimeoutMs(r({ perTryTimeoutMs: 90_000 }), true, true, defaults), 60_000, 'never beyond the router-wide headersTimeoutMs');
  assert.equal(perTryTimeoutMs(r(), true, true, routerConfig({ perTryTimeoutMs: 0 })), undefined, '0 turns the router default off');
  assert.equal(perTryTimeoutMs(r({ perTryTimeoutMs: 300 }), true, true, routerConfig({ perTryTimeoutMs: 0 })), 300, 'a site still sets its own');
});

test('a try cut because its endpoint is gone fails like a broken connection: retried only when replayable, ejects', () => {
  const kind = failureKind(endpointGoneError('10.0.0.1:80'));
  assert.equal(kind, 'broken');
  assert.equal(mayRetry(kind, { replayable: true, bodyless: true, bodyUnread: false }), true);
  assert.equal(mayRetry(kind, { replayable: false, bodyless: true, bodyUnread: false }), false, 'a bodiless POST');
  assert.equal(mayRetry(kind, { replayable: false, bodyless: false, bodyUnread: false }), false, 'a POST whose body was sent');
  assert.equal(ejects(kind), true);
});

test('connection failures eject the endpoint; slow answers do not', () => {
  assert.equal(ejects('unsent'), true);
  assert.equal(ejects('broken'), true);
  assert.equal(ejects('timeout'), false);
  assert.equal(ejects('other'), false);
});
