// `corral up`'s self-signed development certificate: made once with openssl into
// <dir>/tls/dev.crt and dev.key (key mode 0600, folder 0700), then reused, so HTTPS
// works at once for every site (browsers will warn: it is not from a trusted CA).

import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The names the development certificate is for: the farm's own, which no customer may claim. */
export const DEV_CERT_NAMES = { commonName: 'corral.localhost', dns: ['localhost', '*.localhost'], ip: ['127.0.0.1'] } as const;

/** The DNS names of the development certificate (its common name included). */
export function devCertDomains(): string[] {
  return [DEV_CERT_NAMES.commonName, ...DEV_CERT_NAMES.dns];
}

export interface DevCertificate {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  created: boolean;
}

export async function ensureDevCertificate(dir: string): Promise<DevCertificate> {
  const tlsDir = join(dir, 'tls');
  const certFile = join(tlsDir, 'dev.crt');
  const keyFile = join(tlsDir, 'dev.key');
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  await chmod(tlsDir, 0o700);
  const existing = await readPair(certFile, keyFile);
  if (existing) {
    await chmod(keyFile, 0o600);
    return { ...existing, certFile, keyFile, created: false };
  }
  const tmpCert = `${certFile}.${process.pid}.tmp`;
  const tmpKey = `${keyFile}.${process.pid}.tmp`;
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
      '-subj', `/CN=${DEV_CERT_NAMES.commonName}`,
      '-addext', `subjectAltName=${[...DEV_CERT_NAMES.dns.map((d) => `DNS:${d}`), ...DEV_CERT_NAMES.ip.map((ip) => `IP:${ip}`)].join(',')}`,
      '-keyout', tmpKey, '-out', tmpCert,
    ]);
    await chmod(tmpKey, 0o600);
    await rename(tmpKey, keyFile);
    await rename(tmpCert, certFile);
  } catch (err) {
    await rm(tmpKey, { force: true });
    await rm(tmpCert, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot make the development certificate with openssl${e.code === 'ENOENT' ? ' (openssl is not installed)' : ''}: ${e.message}`, { cause: err });
  }
  const made = await readPair(certFile, keyFile);
  if (!made) throw new Error(`the development certificate in ${tlsDir} cannot be read back`);
  return { ...made, certFile, keyFile, created: true };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch {
    return undefined;
  }
}
