import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { HOST_ID_MAX, hostId, idFromHostname } from './host-id.ts';

const LABEL = /^[a-z0-9][a-z0-9-]{0,62}$/; // model patterns.label: what an engine id must be

test('an ordinary hostname keeps the id it always had', () => {
  assert.equal(idFromHostname('web-01', 'engine'), 'web-01');
  assert.equal(idFromHostname('Web-01', 'engine'), 'web-01');
  assert.equal(idFromHostname('ip-10-0-0-1.eu-west-1.compute.internal', 'engine'), 'ip-10-0-0-1-eu-west-1-compute-internal');
});

test('dots and other punctuation become dashes', () => {
  assert.equal(idFromHostname('a.b.c', 'engine'), 'a-b-c');
  assert.equal(idFromHostname('host_name:1', 'engine'), 'host-name-1');
  assert.equal(idFromHostname('host.example.', 'engine'), 'host-example-');
});

test('an empty hostname, or one that leaves nothing, gives the fallback', () => {
  assert.equal(idFromHostname('', 'engine'), 'engine');
  assert.equal(idFromHostname('...', 'router'), 'router');
  assert.equal(idFromHostname('сервер', 'engine'), 'engine');
  assert.equal(idFromHostname('\u0000\n', 'engine'), 'engine');
});

test('non-ASCII characters become dashes, and no id starts with one', () => {
  assert.equal(idFromHostname('café-01', 'engine'), 'caf--01');
  assert.equal(idFromHostname('ünit', 'engine'), 'nit');
  assert.equal(idFromHostname('.hidden', 'engine'), 'hidden');
  assert.equal(idFromHostname('😀host', 'engine'), 'host');
});

test('a long hostname is cut to the maximum length', () => {
  const long = 'a'.repeat(300);
  assert.equal(idFromHostname(long, 'engine'), 'a'.repeat(HOST_ID_MAX));
  assert.equal(idFromHostname(long, 'controller', 30), 'a'.repeat(30));
  // cut first, then leading dashes dropped: never longer than asked
  assert.ok(idFromHostname(`${'.'.repeat(10)}${long}`, 'engine').length <= HOST_ID_MAX);
});

test('whatever the hostname, the id is a valid label', () => {
  const hostile = ['', '-', '--a', 'a'.repeat(1000), 'ÄÖÜ', 'İstanbul', 'K', 'x\u200by', ' spaced name ', '../../etc', 'a/b', '%00', '\t'];
  for (const name of hostile) {
    const id = idFromHostname(name, 'engine');
    assert.match(id, LABEL, `${JSON.stringify(name)} gave ${JSON.stringify(id)}`);
    assert.ok(id.length <= HOST_ID_MAX);
  }
  assert.match(hostId('engine'), LABEL);
  assert.equal(hostId('engine'), idFromHostname(hostname(), 'engine'));
});
