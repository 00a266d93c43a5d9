// The farm's one ACME account: its key is made once, kept in the store (keys.acmeAccount,
// which no API route reads) and shared by every controller, so whichever leads orders
// under the same account. Registered (with the contact e-mail and, for a CA that wants
// it, External Account Binding) the first time it is used; the account URL is kept.

import type { Client } from 'acme-client';
import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { AcmeOptions } from './acme-options.ts';
import { acmeLib, trustDirectory } from './acme-lib.ts';
import { readRecord } from './records.ts';

interface AccountRecord {
  directoryUrl: string;
  key: string;
  url?: string;
  createdAt: string;
}

/** A client for the farm's account at opts.directoryUrl, registered. */
export async function acmeAccount(store: Store, opts: AcmeOptions): Promise<Client> {
  const acme = await acmeLib();
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
