import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasPrefix, prefixEnd } from './prefix.ts';

describe('prefixEnd', () => {
  it('increments the last code point', () => {
    assert.equal(prefixEnd('/a/b/'), '/a/b0');
    assert.equal(prefixEnd('a'), 'b');
  });

  it('has no end for the empty prefix', () => {
    assert.equal(prefixEnd(''), undefined);
    assert.equal(prefixEnd('\u{10ffff}'), undefined);
  });

  it('carries past the highest code point and skips surrogates', () => {
    assert.equal(prefixEnd('a\u{10ffff}'), 'b');
    assert.equal(prefixEnd('\ud7ff'), '\ue000');
    assert.equal(prefixEnd('x\u{1f600}'), 'x\u{1f601}');
  });

  it('bounds exactly the keys under the prefix, in UTF-8 byte order', () => {
    const prefix = '/p/\uffff';
    const end = prefixEnd(prefix) as string;
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    for (const key of ['/p/\uffff', '/p/\uffffz', '/p/\uffff\u{1f600}']) {
      assert.ok(byBytes(key, prefix) >= 0 && byBytes(key, end) < 0, key);
      assert.ok(hasPrefix(key, prefix));
    }
    assert.ok(byBytes('/p/\u{10000}', end) >= 0, 'a higher code point is past the end');
  });
});
