import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAddressPool } from './address-pool.ts';
import { freePort } from '../lib/free-ports.ts';

test('hands out distinct 127.77.x.y addresses and skips those in use', () => {
  const pool = createAddressPool();
  const a = pool.acquire();
  const b = pool.acquire();
  assert.equal(a, '127.77.0.1');
  assert.equal(b, '127.77.0.2');
  pool.release(a);
  assert.equal(pool.acquire(), '127.77.0.3', 'counter moves on rather than reusing at once');
  const seen = new Set([b, '127.77.0.3']);
  for (let i = 0; i < 600; i++) {
    const addr = pool.acquire();
    assert.match(addr, /^127\.77\.\d{1,3}\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
    assert.ok(!seen.has(addr), `duplicate ${addr}`);
    seen.add(addr);
  }
});

test('wraps around and throws when exhausted', () => {
  const pool = createAddressPool();
  const all: string[] = [];
  for (let i = 0; i < 256 * 254; i++) all.push(pool.acquire());
  assert.equal(new Set(all).size, all.length);
  assert.throws(() => pool.acquire(), { code: 'ENGINE_ADDRESSES_EXHAUSTED' });
  pool.release('127.77.3.9');
  assert.equal(pool.acquire(), '127.77.3.9');
});

test('finds a free port on a loopback address', async () => {
  const port = await freePort('127.77.0.1');
  assert.ok(port > 0 && port < 65536);
});
