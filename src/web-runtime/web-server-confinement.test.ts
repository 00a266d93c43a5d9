import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { tempSiteDir, rawRequest, startWebServer } from './testing.ts';

async function serveWithSecrets(t: TestContext): Promise<number> {
  const outside = await tempSiteDir(t, { 'secret.txt': 'TOP SECRET', 'dir/inner.txt': 'TOP SECRET' });
  const root = await tempSiteDir(t, { 'index.html': 'home', '.env': 'TOP SECRET', '.well-known/security.txt': 'Contact: x', 'sub/page.txt': 'page' });
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'leak.txt'));
  await fs.symlink(path.join(outside, 'dir'), path.join(root, 'leakdir'));
  await fs.symlink(path.join(root, '.env'), path.join(root, 'env.txt'));
  await fs.symlink(path.join(root, 'sub', 'page.txt'), path.join(root, 'alias.txt'));
  return startWebServer(t, [{ domains: [], root }]);
}

test('traversal attempts are refused with 404', async (t) => {
  const port = await serveWithSecrets(t);
  const attempts = [
    '/../etc/passwd',
    '/../../../../etc/passwd',
    '/%2e%2e/etc/passwd',
    '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/sub/..%2F..%2F..%2Fetc%2Fpasswd',
    '/sub%2F..%2F..%2Fetc/passwd',
    '/index.html%00.txt',
    '/%00',
    '/..%5c..%5cetc%5cpasswd',
    '/leak.txt',
    '/leakdir/inner.txt',
    '/env.txt',
    '/.env',
    '/sub/../.env',
  ];
  for (const p of attempts) {
    const res = await rawRequest(port, p);
    assert.equal(res.status, 404, p);
    assert.doesNotMatch(res.text, /TOP SECRET|root:/, p);
  }
});

test('malformed percent-encoding is a 400', async (t) => {
  const port = await serveWithSecrets(t);
  assert.equal((await rawRequest(port, '/%E0%A4%A')).status, 400);
});

test('harmless paths still work: .well-known, dot segments inside, symlinks inside the root', async (t) => {
  const port = await serveWithSecrets(t);
  assert.equal((await rawRequest(port, '/.well-known/security.txt')).text, 'Contact: x');
  assert.equal((await rawRequest(port, '/sub/../sub/./page.txt')).text, 'page');
  assert.equal((await rawRequest(port, '/alias.txt')).text, 'page');
});
