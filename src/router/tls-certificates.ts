// The router's certificate store: the site's domains (from the route table) → that
// site's TLS secure context, rebuilt whenever routes or certificates change. A
// certificate serves only domains of its own site that its SAN covers, so a site can
// never take over another's name. The SNI callback looks up the exact name first, then
// the longest `*.suffix`; an unknown or absent SNI gets the server's default certificate.
// It also says whether a host has a valid certificate (validFor): one of its site's own,
// covering the name, within its validity dates — never the default (development)
// certificate. The HTTPS redirect and HSTS wait for that, so a new site never sends its
// visitors into a certificate error.

import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '../lib/log.ts';
import { certDnsNames, namesCover } from '../lib/tls-names.ts';
import type { Route } from '../model/index.ts';

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
  names: string[];
  /** Validity dates, ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

export class CertificateStore {
  #byName = new Map<string, Loaded>();
  #bySite = new Map<string, Loaded>();
  #routes: readonly Route[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Replace every site certificate at once; one that cannot be loaded is logged and skipped. */
  setCertificates(certs: readonly SiteCertificate[]): void {
    const next = new Map<string, Loaded>();
    for (const c of certs) {
      try {
        const x509 = new X509Certificate(c.cert);
        next.set(c.site, { context: createSecureContext({ cert: c.cert, key: c.key }), names: certDnsNames(x509), notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) });
      } catch (err) {
        this.#log.warn({ event: 'tls.bad-certificate', site: c.site, err: (err as Error).message }, 'ignoring a certificate that cannot be loaded');
      }
    }
    this.#bySite = next;
    this.#rebuild();
    this.#log.info({ event: 'tls.certificates-updated', certificates: next.size, names: this.#byName.size }, 'certificates updated');
  }

  setRoutes(routes: readonly Route[]): void {
    this.#routes = routes;
    this.#rebuild();
  }

  #rebuild(): void {
    const byName = new Map<string, Loaded>();
    if (this.#bySite.size > 0) {
      for (const r of this.#routes) {
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
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.lookup(servername));
  };
}
