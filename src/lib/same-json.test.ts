import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameJson } from './same-json.ts';

test('sameJson agrees with comparing JSON.stringify, except that key order does not matter', () => {
  const cases: [unknown, unknown][] = [
    [1, 1], [1, 2], ['a', 'a'], ['1', 1], [null, null], [null, {}], [undefined, undefined], [true, false],
    [[], []], [[1, 2], [1, 2]], [[1, 2], [2, 1]], [[1], [1, 1]], [[{ a: 1 }], [{ a: 1 }]], [{}, []],
    [{ a: 1, b: undefined }, { a: 1 }], [{ a: 1 }, { a: 1, b: undefined }], [{ a: 1 }, { a: 1, b: 2 }], [{ a: 1, b: 2 }, { a: 1 }],
    [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'x' }] } }], [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'y' }] } }],
    [{ a: undefined }, {}], [{ a: null }, {}], [{ a: 0 }, { a: false }], [{ a: [] }, { a: {} }],
  ];
  for (const [a, b] of cases) assert.equal(sameJson(a, b), JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  assert.equal(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 }), true, 'key order');
  assert.equal(sameJson({ a: 1, b: 2 }, JSON.parse(JSON.stringify({ b: 2, a: 1 }))), true);
});
