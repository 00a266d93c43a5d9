import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { FileNotFoundError, MethodNotAllowedError } from './errors.ts';
import { respondError, statusOf } from './respond-error.ts';
import { rawRequest } from './testing.ts';

test('statusOf: our errors carry their status, anything else is a 500', () => {
  assert.equal(statusOf(new FileNotFoundError()), 404);
  assert.equal(statusOf(new MethodNotAllowedError('PUT')), 405);
  assert.equal(statusOf(new Error('boom')), 500);
});

test('an unexpected error answers 500 with an id that is also in the log line', async (t) => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const server = http.createServer((req, res) => void respondError(req, res, new Error('disk on fire'), undefined, log));
  t.after(() => { server.closeAllConnections(); server.close(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const res = await rawRequest((server.address() as AddressInfo).port, '/x');
  assert.equal(res.status, 500);
  const id = /id ([0-9a-f]+)/.exec(res.text)?.[1];
  assert.ok(id, res.text);
  assert.doesNotMatch(res.text, /disk on fire/);
  const logged = lines.map((l) => JSON.parse(l) as { errorId?: string; event?: string }).find((l) => l.event === 'internal_error');
  assert.equal(logged?.errorId, id);
});
