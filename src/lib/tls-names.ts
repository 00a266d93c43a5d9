// Which names a certificate is for: the DNS entries of its subjectAltName, and whether
// they cover a domain (RFC 6125: `*.example.com` covers exactly one label below
// example.com; a site's own `*.example.com` domain is covered by the same wildcard).

import { X509Certificate } from 'node:crypto';

/** The DNS names of a certificate's subjectAltName, lower-cased. */
export function certDnsNames(cert: X509Certificate | string): string[] {
  const x509 = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
}

/** Does one of these SAN names cover domain (a host name or a `*.suffix` site domain)? */
export function namesCover(names: readonly string[], domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const dot = d.indexOf('.');
  return names.some((n) => n === d || (n.startsWith('*.') && dot > 0 && !d.startsWith('*.') && d.slice(dot + 1) === n.slice(2)));
}
