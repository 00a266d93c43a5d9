import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { contentEtag, encodedEtag, ifRangeMatches, isNotModified, lastModifiedFor, weakEtag } from './validators.ts';

const f = { size: 1234, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678) };
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const strong = contentEtag(sha('body{}'));
const since = (ms: number): string => lastModifiedFor(ms);

test('strong ETag from the sha256: its first 128 bits, base64url; the same bytes, the same tag', () => {
  assert.match(strong, /^"[A-Za-z0-9_-]{22}"$/);
  assert.equal(contentEtag(sha('body{}')), strong);
  assert.notEqual(contentEtag(sha('body{ }')), strong);
});

test('weak ETag from size and mtime (no digest)', () => {
  assert.match(weakEtag(f), /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.notEqual(weakEtag(f), weakEtag({ ...f, size: 1235 }));
  assert.notEqual(weakEtag(f), weakEtag({ ...f, mtimeMs: f.mtimeMs + 1 }));
});

test('a compressed answer has its own weak ETag per coding', () => {
  assert.equal(encodedEtag(strong, 'br'), `W/${strong.slice(0, -1)}-br"`);
  assert.notEqual(encodedEtag(strong, 'gzip'), encodedEtag(strong, 'br'));
  assert.equal(encodedEtag(weakEtag(f), 'gzip'), `${weakEtag(f).slice(0, -1)}-gzip"`);
  assert.equal(isNotModified({ 'if-none-match': strong }, encodedEtag(strong, 'br'), f.mtimeMs), false, 'the identity tag does not validate the compressed answer');
});

test('If-None-Match: weak comparison, lists and *; it wins over If-Modified-Since', () => {
  for (const tag of [weakEtag(f), strong]) {
    assert.equal(isNotModified({ 'if-none-match': tag }, tag, f.mtimeMs), true);
    assert.equal(isNotModified({ 'if-none-match': tag.replace(/^W\//, '') }, tag, f.mtimeMs), true);
    assert.equal(isNotModified({ 'if-none-match': `W/${tag.replace(/^W\//, '')}` }, tag, f.mtimeMs), true);
    assert.equal(isNotModified({ 'if-none-match': `"x", ${tag}` }, tag, f.mtimeMs), true);
    assert.equal(isNotModified({ 'if-none-match': '*' }, tag, f.mtimeMs), true);
    assert.equal(isNotModified({ 'if-none-match': '"other"', 'if-modified-since': since(f.mtimeMs) }, tag, f.mtimeMs), false);
  }
  assert.equal(isNotModified({ 'if-none-match': strong.slice(1, -1) }, strong, f.mtimeMs), false, 'an unquoted tag is no tag');
});

test('If-Modified-Since compares whole seconds; a date in the future is ignored', () => {
  const tag = strong;
  assert.equal(isNotModified({ 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }, tag, f.mtimeMs), false);
  assert.equal(isNotModified({ 'if-modified-since': since(f.mtimeMs) }, tag, f.mtimeMs), true);
  assert.equal(isNotModified({ 'if-modified-since': new Date(f.mtimeMs - 2000).toUTCString() }, tag, f.mtimeMs), false);
  assert.equal(isNotModified({ 'if-modified-since': 'not a date' }, tag, f.mtimeMs), false);
  assert.equal(isNotModified({}, tag, f.mtimeMs), false);
});

test('If-Range: strong comparison of ETags (a weak one never matches), or the exact date', () => {
  const ifRange = (v: string, etag: string): boolean => ifRangeMatches({ 'if-range': v }, etag, f.mtimeMs);
  assert.equal(ifRangeMatches({}, strong, f.mtimeMs), true);
  assert.equal(ifRange(strong, strong), true);
  assert.equal(ifRange(` ${strong} `, strong), true);
  assert.equal(ifRange(contentEtag(sha('old')), strong), false);
  assert.equal(ifRange(`W/${strong}`, strong), false, 'a weak tag from the client');
  assert.equal(ifRange(weakEtag(f), weakEtag(f)), false, 'our own tag is weak');
  assert.equal(ifRange(since(f.mtimeMs), strong), true);
  assert.equal(ifRange(new Date(f.mtimeMs - 5000).toUTCString(), strong), false);
});
