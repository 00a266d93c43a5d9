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
  trustDirectory(opts.directoryUrl, opts.caPem);
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

/** The CA no longer knows the account: keep its key, register it again on the next use. */
export async function forgetAccountUrl(store: Store): Promise<void> {
  const rec = await readRecord<AccountRecord>(store, keys.acmeAccount);
  if (!rec?.value.url) return;
  const { url: _url, ...rest } = rec.value;
  await store.txn({ compare: [{ key: keys.acmeAccount, target: 'mod', op: '=', value: rec.kv.modRevision }], success: [{ type: 'put', key: keys.acmeAccount, value: JSON.stringify(rest) }] });
}

const REQUEST_TIMEOUT_MS = 30_000;
let retriesOff = false;
/** The HTTPS agent per directory origin: the system roots plus that CA's own root. */
const agents = new Map<string, { caPem: string; agent: Agent }>();

/**
 * acme-client's one HTTP client: requests to a directory's origin check its TLS
 * certificate against the system roots plus caPem (a private CA's root); its own retries
 * are off, because the issuer retries whole orders with backoff and Retry-After
 * (acme-issuer.ts) without blocking.
 */
function trustDirectory(directoryUrl: string, caPem: string | undefined): void {
  if (!retriesOff) {
    (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
    acme.axios.interceptors.request.use((config) => {
      const origin = config.url ? originOf(config.url) : undefined;
      const trust = origin ? agents.get(origin) : undefined;
      if (trust) config.httpsAgent = trust.agent;
      config.timeout ||= REQUEST_TIMEOUT_MS; // a CA that accepts and never answers must not hang the issuer
      return config;
    });
    retriesOff = true;
  }
  const origin = originOf(directoryUrl);
  if (!caPem || !origin) return void (origin && agents.delete(origin));
  if (agents.get(origin)?.caPem !== caPem) agents.set(origin, { caPem, agent: new Agent({ ca: [...rootCertificates, caPem] }) });
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
