// corral_certificate_expiry_seconds{site}: seconds until each site's certificate (ACME or
// uploaded) expires, read from the store at scrape time so every controller serves it.

import { Gauge, Registry } from 'prom-client';
import { keyName, keys, type CertificateRecord } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { secondsToExpiry } from './certificate-state.ts';

export function certificateMetrics(store: Store): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'corral_certificate_expiry_seconds',
    help: 'Seconds until the site\'s TLS certificate expires (negative once it has)',
    labelNames: ['site'],
    registers: [registry],
    async collect() {
      this.reset();
      const { kvs } = await store.range(keys.certificates);
      for (const kv of kvs) {
        const s = secondsToExpiry((JSON.parse(kv.value) as CertificateRecord).cert);
        if (s !== undefined) this.set({ site: keyName(kv.key) }, s);
      }
    },
  });
  return registry;
}
