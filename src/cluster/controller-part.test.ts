// The controller part as both modes start it: the admin token made once and kept, the API
// listening with the mode's options (its URL where it listens, or the advertised one), and
// its steps unwound API first, then the blob collector. A real SQLite store, a real
// listener on loopback.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { stackOverStore } from './testing.ts';
import { openControllerPart } from './controller-part.ts';

it('makes the admin token, serves the API with it, and stops the API before the blob collector', async (t) => {
  const { dir, stack, store, steps } = await stackOverStore(t, 'corral-controller-part-');
  const part = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  assert.equal(part.admin.created, true);
  assert.equal((await readFile(join(dir, 'admin-token'), 'utf8')).trim(), part.admin.token);
  const { apiUrl } = await part.startApi({ log: silentLogger }, { port: 0, host: '127.0.0.1' });
  assert.match(apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const anonymous = await fetch(`${apiUrl}/v1/sites`);
  assert.equal(anonymous.status, 401);
  await anonymous.arrayBuffer();
  const admin = await fetch(`${apiUrl}/v1/sites`, { headers: { authorization: `Bearer ${part.admin.token}` } });
  assert.equal(admin.status, 200);
  await admin.arrayBuffer();
  await stack.close();
  assert.deepEqual(steps(), ['controller api', 'blob gc', 'store']);
});

it('a second start keeps the token; an advertised URL is the one given', async (t) => {
  const { dir, stack, store } = await stackOverStore(t, 'corral-controller-part-');
  const first = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  const again = await openControllerPart(stack, store, { dir, blobGcLog: silentLogger });
  assert.equal(again.admin.created, false);
  assert.equal(again.admin.token, first.admin.token);
  const { apiUrl } = await again.startApi({ log: silentLogger }, { port: 0, host: '127.0.0.1', url: 'http://c1.example:7400' });
  assert.equal(apiUrl, 'http://c1.example:7400');
});
