// The router's certificate store: the site's domains (from the route table) → that
// site's TLS secure context, rebuilt whenever routes or certificates change. A
// certificate serves only domains of its own site that its SAN covers, so a site can
// never take over another's name. The SNI callback looks up the exact name first, then
// the longest `*.suffix`; an unknown or absent SNI gets the server's default certificate.
// It also says whether a host has a valid certificate (validFor): one of its site's own,
// covering the name, within its validity dates — never the default (development)
// certificate. The HTTPS redirect and HSTS wait for that, so a new site never sends its
// visitors into a certificate error.
// ACME TLS-ALPN-01 (RFC 8737): a client offering only "acme-tls/1" for a domain whose
// route holds a pending challenge (Route.acme) gets that challenge's validation
// certificate; everyone else, and that client for any other name, is served as before.

import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from '../../lib/log.ts';
import { certDnsNames, namesCover } from '../../lib/tls-names.ts';
import type { Route } from '../../model/index.ts';

export interface CertificatePem {
  cert: string;
  key: string;
}

/** A site's certificate as the store keeps it (CertificateRecord). */
export interface SiteCertificate extends CertificatePem {
  site: string;
}

interface Loaded {
  context: SecureContext;
  /** What it was built from (an unchanged certificate keeps its context). */
  pem: CertificatePem;
  names: string[];
  /** Validity dates, ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

const ACME_TLS = 'acme-tls/1';
/** The protocols the HTTPS listener speaks, in its order of preference. */
const SERVED_PROTOCOLS = ['h2', 'http/1.1'];

export class CertificateStore {
  #byName = new Map<string, Loaded>();
  #validation = new Map<string, SecureContext>();
  /** Handshakes that chose acme-tls/1 (ALPN is settled before the certificate is). */
  #acmeSockets = new WeakSet<TLSSocket>();
  #bySite = new Map<string, Loaded>();
  #routes: ReadonlyMap<string, Route> = new Map();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Replace every site certificate at once; one that cannot be loaded is logged and
   * skipped. A site whose certificate and key are the ones already loaded keeps its
   * context: a change to one of thousands of certificates builds one context, not all.
   */
  setCertificates(certs: readonly SiteCertificate[]): void {
    const next = new Map<string, Loaded>();
    for (const c of certs) {
      const had = this.#bySite.get(c.site);
      if (had && had.pem.cert === c.cert && had.pem.key === c.key) {
        next.set(c.site, had);
        continue;
      }
      try {
        const x509 = new X509Certificate(c.cert);
        next.set(c.site, { context: createSecureContext({ cert: c.cert, key: c.key }), pem: { cert: c.cert, key: c.key }, names: certDnsNames(x509), notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) });
      } catch (err) {
        this.#log.warn({ event: 'tls.bad-certificate', site: c.site, err: (err as Error).message }, 'ignoring a certificate that cannot be loaded');
      }
    }
    this.#bySite = next;
    this.#rebuild();
    this.#log.info({ event: 'tls.certificates-updated', certificates: next.size, names: this.#byName.size }, 'certificates updated');
  }

  /** The router's routes by site (kept, not copied: updateRoutes says when they changed). */
  setRoutes(routes: ReadonlyMap<string, Route>): void {
    this.#routes = routes;
    this.#rebuild();
  }

  /**
   * Per site (Router.updateRoutes): routes is the whole set after the change, touched the
   * routes it put and those it replaced or removed. The names are mapped again only when
   * one of them has a certificate or an ACME validation certificate.
   */
  updateRoutes(routes: ReadonlyMap<string, Route>, touched: readonly Route[]): void {
    this.#routes = routes;
    if (touched.some((r) => this.#bySite.has(r.site) || r.acme?.tlsAlpn01 !== undefined)) this.#rebuild();
  }

  #rebuild(): void {
    this.#validation = validationContexts(this.#routes.values(), this.#log);
    const byName = new Map<string, Loaded>();
    if (this.#bySite.size > 0) {
      for (const r of this.#routes.values()) {
        const loaded = this.#bySite.get(r.site);
        if (!loaded) continue;
        for (const d of r.domains) if (namesCover(loaded.names, d)) byName.set(d.toLowerCase(), loaded);
      }
    }
    this.#byName = byName;
  }

  /** Exact name, then the longest `*.suffix` above it; undefined → the default certificate. */
  lookup(servername: string | undefined): SecureContext | undefined {
    return this.#find((servername ?? '').toLowerCase().replace(/\.$/, ''))?.context;
  }

  /**
   * Does this host (a normalised Host: lower case, no port) get a valid certificate: its
   * site's own, whose names cover it, within its validity dates at `now`?
   */
  validFor(host: string, now = Date.now()): boolean {
    const loaded = this.#find(host);
    return loaded !== undefined && now >= loaded.notBefore && now < loaded.notAfter && namesCover(loaded.names, host);
  }

  #find(name: string): Loaded | undefined {
    if (!name) return undefined;
    const exact = this.#byName.get(name);
    if (exact) return exact;
    for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
      const wild = this.#byName.get(`*${name.slice(dot)}`);
      if (wild) return wild;
    }
    return undefined;
  }

  /** For the secure server's `SNICallback` (undefined context → the server's default certificate). */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void, socket?: TLSSocket): void => {
    if (socket && this.#acmeSockets.has(socket)) return cb(null, this.#validation.get(servername.toLowerCase()));
    cb(null, this.lookup(servername));
  };

  /** For the secure server's `ALPNCallback`: h2, then http/1.1; acme-tls/1 only for a name with a pending challenge. */
  readonly alpnCallback = (socket: TLSSocket, { servername, protocols }: { servername: string; protocols: string[] }): string | undefined => {
    if (protocols.includes(ACME_TLS) && this.#validation.has((servername ?? '').toLowerCase())) {
      this.#acmeSockets.add(socket);
      return ACME_TLS;
    }
    return SERVED_PROTOCOLS.find((p) => protocols.includes(p));
  };

  /** Whether a site certificate (not the default), in date and covering the name, is served for it now (validFor by SNI name). */
  hasCertificate(servername: string, now = Date.now()): boolean {
    return this.validFor(servername.toLowerCase().replace(/\.$/, ''), now);
  }
}

/** Validation certificates by domain from the routes' pending TLS-ALPN-01 challenges. */
function validationContexts(routes: Iterable<Route>, log: Logger): Map<string, SecureContext> {
  const next = new Map<string, SecureContext>();
  for (const r of routes) {
    for (const [domain, pem] of Object.entries(r.acme?.tlsAlpn01 ?? {})) {
      try {
        next.set(domain, createSecureContext({ cert: pem.cert, key: pem.key }));
      } catch (err) {
        log.warn({ event: 'tls.bad-certificate', site: r.site, domain, err: (err as Error).message }, 'ignoring an ACME validation certificate that cannot be loaded');
      }
    }
  }
  return next;
}
