// Test helper: self-signed certificates made with openssl (Debian's /usr/bin/openssl)
// in a temporary directory, removed again when the test ends.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
/** PEM strings. */
export interface CertificatePem {
  cert: string;
  key: string;
}

/** The key a test certificate is made with: P-256 (as the dev certificate) or RSA 2048 (as most real ones). */
export type TestKeyType = 'ec' | 'rsa';

const NEW_KEY: Record<TestKeyType, string[]> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
  rsa: ['-newkey', 'rsa:2048'],
};

/** A self-signed certificate (P-256 unless `key: 'rsa'`) for cn with the given subjectAltName entries (e.g. DNS:a.test). */
export function selfSigned(t: TestContext, cn: string, san: string[], opts: { key?: TestKeyType } = {}): CertificatePem {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'c.pem');
  const key = join(dir, 'k.pem');
  execFileSync('openssl', [
    'req', '-x509', ...NEW_KEY[opts.key ?? 'ec'], '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san.join(',')}`, '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}
