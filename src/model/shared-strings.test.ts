import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseShared, sharedString } from './shared-strings.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const record = (i: number) => JSON.stringify({
  site: `shop-${i % 50}`,
  sha256: 'a3f1'.repeat(16),
  domains: ['www.example-customer.test', `s${i % 50}.example-customer.test`],
  updatedAt: '2026-12-05T19:38:05.863Z',
  endpoints: [{ vs: 'pool-customer-7-02011a', address: '10.88.0.17', port: 8080, release: `release-2026-12-05-${i % 3}` }],
  nested: { deeper: [{ note: 'a longer note that repeats in every record' }] },
});

/** Heap held by `count` records parsed with `parse`, after a full collection. */
function heapOf(parse: (text: string) => unknown, count: number): number {
  const texts = Array.from({ length: count }, (_, i) => record(i));
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = texts.map(parse);
  gc();
  const used = process.memoryUsage().heapUsed - before;
  assert.equal(kept.length, count);
  return used;
}

test('parseShared gives what JSON.parse gives', () => {
  for (const text of [record(1), '[]', '{}', 'null', '3', '"a string longer than ten"', '"short"', '[1,"x",{"a":[true,null,"ünïcödé strings, longer"]}]', '{"12345678901":"an index-like key, longer than ten","k":"12345678901"}']) {
    assert.deepEqual(parseShared(text), JSON.parse(text), text);
  }
  assert.equal(sharedString('2026-12-05T19:38:05.863Z'), '2026-12-05T19:38:05.863Z');
  assert.equal(sharedString('4294967296'), '4294967296');
});

test("records parsed again and again share their strings: the heap holds one copy of each (fails when each parse keeps its own)", () => {
  const count = 4_000;
  const own = heapOf((t) => JSON.parse(t), count);
  const shared = heapOf(parseShared, count);
  // each record's seven longer strings (≈ 40–80 bytes each) are shared; objects and arrays stay
  assert.ok(shared < own * 0.7, `shared ${shared} bytes, own copies ${own} bytes`);
});

test('a hostile record: an own "__proto__" sets no prototype, deep nesting is left as parsed', () => {
  const v = parseShared('{"__proto__":{"polluted":"a value longer than ten"},"name":"a value longer than ten"}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__', 'name']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((v as { polluted?: unknown }).polluted, undefined);

  const depth = 50_000;
  const deep = `${'['.repeat(depth)}"a string at the bottom"${']'.repeat(depth)}`;
  let v2: unknown = parseShared(deep); // no throw (a recursive walk would overflow the stack here)
  for (let i = 0; i < depth; i++) v2 = (v2 as unknown[])[0];
  assert.equal(v2, 'a string at the bottom');
});
