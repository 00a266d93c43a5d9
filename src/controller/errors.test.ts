import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { CorralError } from '../lib/errors.ts';
import { RedirectsError } from '../lib/redirects.ts';
import { TARBALL_ERRORS } from '../lib/tarball.ts';
import * as errors from './errors.ts';
import { errorReply } from './http-errors.ts';

const here = new URL('.', import.meta.url);

test('every controller error code is documented in ERRORS.md', async () => {
  const source = await readFile(new URL('errors.ts', here), 'utf8');
  const codes = [...source.matchAll(/super\('([a-z_]+)'/g)].map((m) => m[1]);
  assert.ok(codes.length >= 10, `found ${codes.length} codes`);
  const doc = await readFile(new URL('ERRORS.md', here), 'utf8');
  for (const code of codes) assert.match(doc, new RegExp(`\`${code}\``), `${code} is missing from ERRORS.md`);
});

test('every tarball error code the upload route can answer is documented in ERRORS.md', async () => {
  const doc = await readFile(new URL('ERRORS.md', here), 'utf8');
  for (const [code, { status }] of Object.entries(TARBALL_ERRORS)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} (${status}) is missing from ERRORS.md`);
  }
});

test('a refused _redirects (redirects_invalid) is documented in ERRORS.md with its status', async () => {
  const doc = await readFile(new URL('ERRORS.md', here), 'utf8');
  const err = new RedirectsError('x', 1);
  assert.match(doc, new RegExp(`\\| \`${err.code}\` \\| ${err.status} \\|`));
});

test('every error class is a CorralError with a 4xx/5xx status', () => {
  for (const [name, Class] of Object.entries(errors)) {
    if (name === 'ControllerError') continue;
    const err = new (Class as new (...args: unknown[]) => CorralError)('x', 'y');
    assert.ok(err instanceof CorralError, name);
    assert.ok(err.status >= 400 && err.status < 600, name);
  }
});

test('unexpected errors become a 500 that hides the details but names the request id', () => {
  const reply = errorReply(new Error('secret path /var/lib/x'), 'req_1');
  assert.equal(reply.status, 500);
  assert.deepEqual(reply.body.error.code, 'internal');
  assert.doesNotMatch(reply.body.error.message, /secret/);
  assert.match(reply.body.error.message, /req_1/);
});

test('fastify validation errors name the field', () => {
  const reply = errorReply({ validation: [{ keyword: 'type', instancePath: '/replicas', params: { type: 'integer' }, message: 'must be integer' }], validationContext: 'body' }, 'req_2');
  assert.equal(reply.status, 400);
  assert.equal(reply.body.error.message, 'body.replicas must be integer');
});
