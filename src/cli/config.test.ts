// Where the CLI finds the API and its token, tried with a real farm folder's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveClientConfig } from './config.ts';

test('flags, then CORRAL_API / CORRAL_TOKEN, then the farm folder; an empty variable is refused, never read as unset; a stopped farm is named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'admin-token'), 'crl_admin\n');
  // the farm is stopped: its token is there, its api-url is not
  assert.throws(() => resolveClientConfig({ dir }, {}), new RegExp(`^CliError: the farm in ${dir} is not running \\(no ${dir}/api-url\\): start it with \`corral up\``));
  writeFileSync(join(dir, 'api-url'), 'http://127.0.0.1:7400\n');
  assert.deepEqual(resolveClientConfig({ dir }, {}), { api: 'http://127.0.0.1:7400', token: 'crl_admin' });
  assert.deepEqual(resolveClientConfig({ dir }, { CORRAL_TOKEN: 'crl_mine' }), { api: 'http://127.0.0.1:7400', token: 'crl_mine' });
  assert.deepEqual(resolveClientConfig({ dir, token: 'crl_flag' }, { CORRAL_TOKEN: 'crl_mine' }).token, 'crl_flag');
  for (const name of ['CORRAL_TOKEN', 'CORRAL_API']) {
    assert.throws(() => resolveClientConfig({ dir }, { [name]: '' }), new RegExp(`^CliError: ${name} is set but empty`), `${name}= must not fall back to the folder's files`);
  }
  assert.equal(resolveClientConfig({ dir, token: 'crl_flag' }, { CORRAL_TOKEN: '' }).token, 'crl_flag', 'a flag wins over an empty variable');
  assert.throws(() => resolveClientConfig({ dir: join(dir, 'nowhere') }, {}), /^CliError: no API address: pass --api/);
});
