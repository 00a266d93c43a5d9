// Uploaded TLS certificates: checked before anything is stored, and described without
// the private key (which only the router reads, from the store).

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { certDnsNames, namesCover } from '../lib/tls-names.ts';
import type { CertificateInfo, CertificateRecord, Site } from '../model/index.ts';
import { CertificateInvalidError } from './errors.ts';

/** The record to store for site, or CertificateInvalidError saying what is wrong. */
export function checkedCertificate(site: Site, certPem: string, keyPem: string, now = new Date()): CertificateRecord {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch {
    throw new CertificateInvalidError('body.cert is not a PEM X.509 certificate ("-----BEGIN CERTIFICATE-----" …)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateInvalidError('body.key is not an unencrypted PEM private key ("-----BEGIN PRIVATE KEY-----" …)');
  }
  if (!x509.checkPrivateKey(key)) throw new CertificateInvalidError('body.key does not match body.cert (the key belongs to another certificate)');
  if (new Date(x509.validTo) < now) throw new CertificateInvalidError(`the certificate expired on ${new Date(x509.validTo).toISOString()}`);
  if (new Date(x509.validFrom) > now) throw new CertificateInvalidError(`the certificate is not valid before ${new Date(x509.validFrom).toISOString()}`);
  const names = certDnsNames(x509);
  const missing = site.domains.filter((d) => !namesCover(names, d));
  if (missing.length > 0) {
    throw new CertificateInvalidError(`the certificate's subjectAltName (${names.join(', ') || 'no DNS names'}) does not cover the site's domain(s): ${missing.join(', ')}`);
  }
  return { site: site.name, cert: certPem, key: keyPem, updatedAt: now.toISOString() };
}

export function certificateInfo(rec: CertificateRecord): CertificateInfo {
  const x509 = new X509Certificate(rec.cert);
  return {
    site: rec.site,
    subject: x509.subject,
    issuer: x509.issuer,
    sans: certDnsNames(x509),
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    fingerprint256: x509.fingerprint256,
    updatedAt: rec.updatedAt,
  };
}
