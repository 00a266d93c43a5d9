// A site's CertificateState (src/model/certificate-views.ts: what `corral cert list`,
// `corral cert status` and the console show), from the certificate record and the ACME
// issuer's status record.

import { X509Certificate } from 'node:crypto';
import { certDnsNames } from '../lib/tls-names.ts';
import { acmeNames, tlsModeOf, type CertificateRecord, type CertificateState, type CertStatusRecord, type Site } from '../model/index.ts';

export function certificateState(site: Site, cert: CertificateRecord | undefined, status: CertStatusRecord | undefined, now = Date.now()): CertificateState {
  const mode = tlsModeOf(site);
  const x509 = cert ? parse(cert.cert) : undefined;
  const auto = mode === 'auto' && status !== undefined;
  const view: CertificateState = { site: site.name, mode, state: 'none', names: x509 ? certDnsNames(x509) : auto ? status.names : acmeNames(site), failures: auto ? status.failures : 0 };
  if (x509) {
    view.source = cert!.source ?? 'upload';
    view.issuer = commonName(x509.issuer);
    view.notAfter = new Date(x509.validTo).toISOString();
    view.state = Date.parse(x509.validTo) < now ? 'expired' : 'valid';
  }
  if (auto) {
    if (status.state !== 'valid' || !x509) view.state = status.state === 'valid' ? 'pending' : status.state;
    if (status.nextAttemptAt) view.nextRenewal = status.nextAttemptAt;
    if (status.lastError && status.state === 'failed') view.lastError = status.lastError;
  }
  return view;
}

/** Seconds until a PEM certificate expires (negative once it has). */
export function secondsToExpiry(pem: string, now = Date.now()): number | undefined {
  const x509 = parse(pem);
  return x509 ? Math.round((Date.parse(x509.validTo) - now) / 1000) : undefined;
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? dn.replace(/\n/g, ', ');
}
