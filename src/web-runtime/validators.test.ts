import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etagFor, ifRangeMatches, isNotModified, lastModifiedFor } from './validators.ts';

const f = { size: 1234, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678) };

test('weak ETag from size and mtime', () => {
  assert.match(etagFor(f), /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.notEqual(etagFor(f), etagFor({ ...f, size: 1235 }));
  assert.notEqual(etagFor(f), etagFor({ ...f, mtimeMs: f.mtimeMs + 1 }));
});

test('If-None-Match: weak comparison, lists and *; it wins over If-Modified-Since', () => {
  const tag = etagFor(f);
  assert.equal(isNotModified({ 'if-none-match': tag }, f), true);
  assert.equal(isNotModified({ 'if-none-match': tag.slice(2) }, f), true);
  assert.equal(isNotModified({ 'if-none-match': `"x", ${tag}` }, f), true);
  assert.equal(isNotModified({ 'if-none-match': '*' }, f), true);
  assert.equal(isNotModified({ 'if-none-match': '"other"', 'if-modified-since': lastModifiedFor(f) }, f), false);
});

test('If-Modified-Since compares whole seconds; a date in the future is ignored', () => {
  assert.equal(isNotModified({ 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }, f), false);
  assert.equal(isNotModified({ 'if-modified-since': lastModifiedFor(f) }, f), true);
  assert.equal(isNotModified({ 'if-modified-since': new Date(f.mtimeMs - 2000).toUTCString() }, f), false);
  assert.equal(isNotModified({ 'if-modified-since': 'not a date' }, f), false);
  assert.equal(isNotModified({}, f), false);
});

test('If-Range: only an exact date matches (weak ETags never do)', () => {
  assert.equal(ifRangeMatches({}, f), true);
  assert.equal(ifRangeMatches({ 'if-range': lastModifiedFor(f) } as never, f), true);
  assert.equal(ifRangeMatches({ 'if-range': new Date(f.mtimeMs - 5000).toUTCString() } as never, f), false);
  assert.equal(ifRangeMatches({ 'if-range': etagFor(f) } as never, f), false);
});
