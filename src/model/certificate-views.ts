// What the API answers about a site's certificate, declared once for the controller that
// builds it (controller/certificates.ts, controller/certificate-state.ts) and the CLI
// (`corral cert`) and the web console that read it. Types only: it loads nothing (the
// console imports this file). Never the private key.

import type { TlsMode } from './records.ts';

/** A stored certificate (GET /v1/sites/:name/certificates, and the answer to an upload). */
export interface CertificateInfo {
  site: string;
  subject: string;
  issuer: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  updatedAt: string;
}

/**
 * A site's certificate as operators and customers see it (GET /v1/certificates, GET
 * /v1/sites/:name/certificate-status): its mode, where it came from, issuer, names,
 * not-after, next renewal and the last error.
 */
export interface CertificateState {
  site: string;
  mode: TlsMode;
  /**
   * none: the router's default certificate serves; pending: the first order is under way;
   * valid: a certificate serves and is current; renewing: a renewal is under way (the old
   * one serves); failed: the last order failed (any older certificate still serves);
   * expired: the stored certificate is past its not-after.
   */
  state: 'none' | 'pending' | 'valid' | 'renewing' | 'failed' | 'expired';
  source?: 'acme' | 'upload';
  issuer?: string;
  /** The names the served certificate covers (or, before one, the names ordered). */
  names: string[];
  notAfter?: string;
  /** ACME: when the next renewal (or, after a failure, the next try) is due. */
  nextRenewal?: string;
  lastError?: string;
  failures: number;
}
