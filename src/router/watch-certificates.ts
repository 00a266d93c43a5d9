// Keeps a router's certificates in step with the store: every record under
// keys.certificates, swapped in as a whole set after each event batch (see watch-prefix.ts).

import type { Logger } from '../lib/log.ts';
import { keys, type CertificateRecord } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import type { Router } from './router.ts';
import { watchPrefix, type PrefixWatch } from './watch-prefix.ts';

export function watchCertificates(store: Store, router: Pick<Router, 'setCertificates'>, log: Logger): Promise<PrefixWatch> {
  return watchPrefix(store, { prefix: keys.certificates, parse: (kv) => parseCertificate(kv, log), publish: (certs) => router.setCertificates(certs), log, what: 'tls' });
}

function parseCertificate(kv: KeyValue, log: Logger): CertificateRecord | undefined {
  try {
    const v = JSON.parse(kv.value) as Partial<CertificateRecord>;
    if (typeof v.site === 'string' && typeof v.cert === 'string' && typeof v.key === 'string') return v as CertificateRecord;
  } catch {
    // fall through
  }
  log.warn({ event: 'tls.bad-record', key: kv.key }, 'ignoring a certificate record that is not valid');
  return undefined;
}
