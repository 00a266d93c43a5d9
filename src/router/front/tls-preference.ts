// Why a site certificate needs a server-side preference order, whatever its key type.
//
// A secure server's connections start from its default context, which holds the default
// certificate. When the SNI callback returns a site's context, Node puts the site's
// certificate and key on the connection with SSL_use_certificate, which fills the slot
// for *its key type* and leaves the other slots alone: with an EC default and an RSA
// site certificate the connection holds both, and OpenSSL lets the client's preference
// choose — TLS 1.3 clients (and OpenSSL's TLS 1.2 cipher order) put ECDSA first, so they
// got the default certificate (nodejs/node#54235). A site certificate of the default's
// own type replaces it in its slot, so only a different type is at stake.
//
// The fix: the server decides (honorCipherOrder, which also orders signature algorithms)
// and ranks every key type before the default certificate's own. A connection holds at
// most two certificates, the default and the site's, and then the site's wins; without
// a site certificate the default is the only one there. A client that cannot use the
// site's key type at all gets the default certificate, as it would without SNI.

import { X509Certificate } from 'node:crypto';
import { DEFAULT_CIPHERS } from 'node:tls';

/** Signature algorithms per certificate key type, each group strongest-first, in the order they are ranked. */
const SIGALGS: ReadonlyArray<readonly [keyType: string, algorithms: readonly string[]]> = [
  ['ec', ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'ecdsa_secp521r1_sha512']],
  ['ed25519', ['ed25519']],
  ['ed448', ['ed448']],
  ['rsa-pss', ['rsa_pss_pss_sha256', 'rsa_pss_pss_sha384', 'rsa_pss_pss_sha512']],
  ['rsa', ['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512']],
];

/** TLS 1.2 forward-secret AEAD suites by the certificate they need (EC and EdDSA keys sign with "ECDSA" suites). */
const ECDSA_SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'];
const RSA_SUITES = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305'];

export interface HandshakePreference {
  honorCipherOrder: true;
  sigalgs: string;
  ciphers: string;
}

/** The secure server options that rank a site certificate of any key type above the default certificate (PEM). */
export function handshakePreference(defaultCert: string): HandshakePreference {
  const type = new X509Certificate(defaultCert).publicKey.asymmetricKeyType ?? 'rsa';
  const own = SIGALGS.filter(([t]) => t === type);
  const others = SIGALGS.filter(([t]) => t !== type);
  const sigalgs = [...others, ...own].flatMap(([, algs]) => algs);
  const rsaDefault = type === 'rsa' || type === 'rsa-pss';
  const suites = rsaDefault ? [...ECDSA_SUITES, ...RSA_SUITES] : [...RSA_SUITES, ...ECDSA_SUITES];
  // Node's default list after them keeps its TLS 1.3 suites and the rest (a suite named twice keeps its first place).
  return { honorCipherOrder: true, sigalgs: sigalgs.join(':'), ciphers: `${suites.join(':')}:${DEFAULT_CIPHERS}` };
}
