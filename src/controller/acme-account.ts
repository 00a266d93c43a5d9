// The farm's one ACME account: its key is made once, kept in the store (keys.acmeAccount,
// which no API route reads) and shared by every controller, so whichever leads orders
// under the same account. Registered (with the contact e-mail and, for a CA that wants
// it, External Account Binding) the first time it is used; the account URL is kept.

import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { AcmeOptions } from './acme-options.ts';
import { readRecord } from './records.ts';

interface AccountRecord {
  directoryUrl: string;
  key: string;
  url?: string;
  createdAt: string;
}

/** A client for the farm's account at opts.directoryUrl, registered. */
export async function acmeAccount(store: Store, opts: AcmeOptions): Promise<acme.Client> {
  trustDirectory(opts.caPem);
  let rec = await readRecord<AccountRecord>(store, keys.acmeAccount);
  if (!rec || rec.value.directoryUrl !== opts.directoryUrl) {
    // a new directory (another CA) gets its own key; compare-and-set so two controllers agree on one
    const fresh: AccountRecord = { directoryUrl: opts.directoryUrl, key: (await acme.crypto.createPrivateEcdsaKey()).toString(), createdAt: new Date().toISOString() };
    await store.txn({
      compare: [{ key: keys.acmeAccount, target: 'mod', op: '=', value: rec?.kv.modRevision ?? 0 }],
      success: [{ type: 'put', key: keys.acmeAccount, value: JSON.stringify(fresh) }],
    });
    rec = await readRecord<AccountRecord>(store, keys.acmeAccount);
  }
  const account = rec!.value;
  const client = new acme.Client({
    directoryUrl: opts.directoryUrl,
    accountKey: account.key,
    ...(account.url ? { accountUrl: account.url } : {}),
    ...(opts.eab ? { externalAccountBinding: opts.eab } : {}),
    backoffMin: opts.pollMinMs,
    backoffMax: opts.pollMaxMs,
    backoffAttempts: opts.pollAttempts,
  });
  if (!account.url) {
    await client.createAccount({ termsOfServiceAgreed: true, ...(opts.email ? { contact: [`mailto:${opts.email}`] } : {}) });
    const url = client.getAccountUrl();
    await store.txn({
      compare: [{ key: keys.acmeAccount, target: 'mod', op: '=', value: rec!.kv.modRevision }],
      success: [{ type: 'put', key: keys.acmeAccount, value: JSON.stringify({ ...account, url }) }],
    });
  }
  return client;
}

let trusted: string | undefined;
let retriesOff = false;

/**
 * acme-client's one HTTP client: the CA's TLS certificate is checked against the system
 * roots plus caPem (a private CA's root); its own retries are off, because the issuer
 * retries whole orders with backoff and Retry-After (acme-issuer.ts) without blocking.
 */
function trustDirectory(caPem: string | undefined): void {
  if (!retriesOff) {
    (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
    retriesOff = true;
  }
  if (caPem === trusted) return;
  trusted = caPem;
  acme.axios.defaults.httpsAgent = caPem ? new Agent({ ca: [...rootCertificates, caPem], keepAlive: true }) : undefined;
}
