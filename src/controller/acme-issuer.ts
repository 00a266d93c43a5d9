// The ACME issuer: runs on the leading controller only (cluster mode: started on election,
// stopped on demotion; `corral up`: always), so a farm orders each certificate once.
// Looks at the sites whose mode is 'auto' (model/tls-mode.ts), one site at a time: every
// site at the earliest next due time and at least every tickMs (and at start, and after
// a watch error), and the sites a site or
// certificate change names as it happens (read on their own, so a deploy wave over
// thousands of sites does not read them all on every change):
//   no certificate, or one that does not cover the site's names → order now;
//   a certificate past its renewal time (2/3 of its lifetime, jittered) → renew;
//   after a failure → wait for the backoff (Retry-After and rate limits honoured).
// The new certificate replaces the old in one write (routers swap it in without a
// restart); until then the old one keeps serving. Each step is recorded: the site's
// CertStatusRecord (cert list/status), farm events cert.issued / cert.renewed / cert.failed.

import { X509Certificate } from 'node:crypto';
import type { Client } from 'acme-client';
import type { Logger } from '../lib/log.ts';
import { certDnsNames, namesCover } from '../lib/tls-names.ts';
import { acmeNames, keyName, keys, type AcmeChallengeRecord, type CertificateRecord, type CertStatusRecord, type Site } from '../model/index.ts';
import type { Compare, Store, TxnOp, Watcher } from '../store/types.ts';
import { acmeAccount, forgetAccountUrl } from './acme-account.ts';
import { acmeLib, problems, type Problem } from './acme-lib.ts';
import { challengeAnswers } from './acme-answers.ts';
import { acmeOptions, type AcmeSettings, type ChallengeType } from './acme-options.ts';
import { renewalAt, retryAt } from './acme-schedule.ts';
import { createEventLog } from './event-log.ts';
import { readRecord, type Stored } from './records.ts';

export interface AcmeIssuerOptions {
  store: Store;
  log: Logger;
  acme: AcmeSettings;
  /** Leader fencing (cluster mode): every write carries this compare; undefined → not leading, write nothing. */
  fence?: () => Compare | undefined;
}

export interface AcmeIssuer {
  /** Look at every site soon. */
  kick(): void;
  /** One pass now (resolves when it is done). */
  pass(): Promise<void>;
  /** Stop: a running order finishes its current step; nothing new starts. Safe twice. */
  close(): Promise<void>;
}

export async function startAcmeIssuer(o: AcmeIssuerOptions): Promise<AcmeIssuer> {
  const opts = acmeOptions(o.acme);
  const { store, log } = o;
  const events = createEventLog(store);
  let client: Client | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let kicked = false;
  /** Sites a site or certificate change named since the last pass; `all` once the timer, a watch error or a caller asks for every site. */
  let changed: Set<string> | 'all' = 'all';

  const schedule = (ms: number) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(kickAll, Math.max(0, Math.min(ms, opts.tickMs)));
    timer.unref();
  };
  /** Look at every site soon. */
  function kickAll(): void {
    changed = 'all';
    kick();
  }
  /** Look at these sites soon (a watch's events): a farm of many sites is not read whole on every change. */
  function kickSites(names: Iterable<string>): void {
    if (changed !== 'all') for (const n of names) changed.add(n);
    kick();
  }
  function kick(): void {
    if (closed || kicked) return;
    kicked = true;
    running = running.then(() => {
      kicked = false;
      return pass();
    });
  }

  async function pass(): Promise<void> {
    if (closed) return;
    const only = changed;
    changed = new Set();
    if (only !== 'all') return passOver(only);
    let nextMs = opts.tickMs;
    try {
      const [sites, certs, statuses] = await Promise.all([keys.sites, keys.certificates, keys.certStatuses].map((p) => store.range(p)));
      const certBySite = byName<CertificateRecord>(certs!.kvs);
      const statusBySite = byName<CertStatusRecord>(statuses!.kvs);
      const siteNames = new Set<string>();
      for (const kv of sites!.kvs) {
        if (closed) return;
        const site: Stored<Site> = { value: JSON.parse(kv.value) as Site, kv };
        siteNames.add(site.value.name);
        const wait = await consider(site, certBySite.get(site.value.name), statusBySite.get(site.value.name));
        nextMs = Math.min(nextMs, wait);
      }
      await forgetDeleted(siteNames, [...statusBySite.keys()]);
      log.debug({ event: 'acme.pass', sites: siteNames.size, nextMs }, 'ACME pass done');
    } catch (err) {
      log.error({ event: 'acme.pass-failed', err: (err as Error).message }, 'ACME pass failed');
      nextMs = Math.min(nextMs, opts.tickMs / 10); // the sites after the failure were not looked at: soon (a minute by default), not at the next safety-net pass
    }
    schedule(nextMs);
  }

  /** The sites a change named, each read on its own; the next full pass stays as scheduled unless one is due sooner. */
  async function passOver(names: Set<string>): Promise<void> {
    let nextMs = Infinity;
    try {
      for (const name of names) {
        if (closed) return;
        const [site, cert, status] = await Promise.all([
          readRecord<Site>(store, keys.site(name)),
          readRecord<CertificateRecord>(store, keys.certificate(name)),
          readRecord<CertStatusRecord>(store, keys.certStatus(name)),
        ]);
        if (!site) continue; // deleted: the next full pass forgets its status
        const wait = await consider(site, cert?.value, status?.value);
        nextMs = Math.min(nextMs, wait);
      }
    } catch (err) {
      log.error({ event: 'acme.pass-failed', err: (err as Error).message }, 'ACME pass failed');
      nextMs = 0;
      changed = 'all';
    }
    if (nextMs < opts.tickMs) schedule(nextMs);
  }

  /** Orders for the site if it is due; the ms until it is next due. */
  async function consider(site: Stored<Site>, cert: CertificateRecord | undefined, status: CertStatusRecord | undefined): Promise<number> {
    const names = acmeNames(site.value);
    if (names.length === 0) return Infinity;
    const now = opts.now();
    const sameNames = status !== undefined && status.names.join(',') === names.join(',');
    const x509 = cert && readCert(cert.cert);
    const covers = x509 !== undefined && names.every((n) => namesCover(certDnsNames(x509), n)) && Date.parse(x509.validTo) > now;
    // after a failure: the next try when its backoff is over, whatever the certificate's own renewal time
    if (status?.state === 'failed' && sameNames && status.nextAttemptAt) {
      const at = Date.parse(status.nextAttemptAt);
      if (at > now) return at - now;
      await order(site, names, covers ? 'renew' : 'issue', status);
      return 0;
    }
    if (covers) {
      const due = status?.state === 'valid' && sameNames && status.nextAttemptAt && status.notAfter === new Date(x509.validTo).toISOString()
        ? Date.parse(status.nextAttemptAt)
        : renewalAt(new Date(x509.validFrom), new Date(x509.validTo), opts).getTime();
      if (now < due) {
        if (status?.state !== 'valid' || !sameNames) await writeStatus(validStatus(site.value.name, names, x509, new Date(due), status));
        return due - now;
      }
    }
    await order(site, names, covers ? 'renew' : 'issue', status);
    return 0; // look again (the next due time) on the next pass
  }

  async function order(site: Stored<Site>, names: string[], kind: 'issue' | 'renew', prev: CertStatusRecord | undefined): Promise<void> {
    const name = site.value.name;
    const orders = (prev?.orders ?? 0) + 1;
    const base: CertStatusRecord = { ...prev, site: name, names, state: kind === 'renew' ? 'renewing' : 'pending', failures: prev?.failures ?? 0, orders, updatedAt: new Date().toISOString() };
    if (!(await writeStatus(base))) return; // not leading
    log.info({ event: 'acme.order', site: name, names, kind }, `ordering a certificate for ${names.join(', ')}`);
    const problem: Problem = { retryAfterMs: 0, rateLimited: false, accountMissing: false };
    try {
      const issued = await problems.run(problem, () => issue(name, names));
      const x509 = readCert(issued.cert)!;
      const status = validStatus(name, names, x509, renewalAt(new Date(x509.validFrom), new Date(x509.validTo), opts), { ...base, failures: 0 });
      const rec: CertificateRecord = { site: name, cert: issued.cert, key: issued.key, updatedAt: new Date().toISOString(), source: 'acme' };
      // only while the site is the one ordered for (not deleted, re-created or given other names)
      const current = await store.get(site.kv.key);
      const still = current && current.createRevision === site.kv.createRevision && acmeNames(JSON.parse(current.value) as Site).join(',') === names.join(',');
      if (!still || !(await fenced([{ key: site.kv.key, target: 'mod', op: '=', value: current.modRevision }], [
        { type: 'put', key: keys.certificate(name), value: JSON.stringify(rec) },
        { type: 'put', key: keys.certStatus(name), value: JSON.stringify(status) },
      ]))) {
        log.info({ event: 'acme.site-changed', site: name }, 'the site changed while its certificate was ordered; looking again');
        return kick();
      }
      const action = kind === 'renew' ? 'cert.renewed' : 'cert.issued';
      await events.record({ type: 'farm', action, site: name, customer: site.value.customer, target: `site/${name}`, result: 'ok', message: `${name}: certificate ${kind === 'renew' ? 'renewed' : 'issued'} for ${names.join(', ')} until ${status.notAfter} by ${status.issuer ?? 'an unknown issuer'}` });
      log.info({ event: `acme.${kind === 'renew' ? 'renewed' : 'issued'}`, site: name, notAfter: status.notAfter }, 'certificate installed');
    } catch (err) {
      client = undefined; // the next try reads the directory again
      if (problem.accountMissing) await forgetAccountUrl(store).catch(() => {}); // the CA lost it (a reset test CA): register again
      const message = describe(err, opts.directoryUrl);
      const failures = (prev?.failures ?? 0) + 1;
      const wish = Math.max(problem.retryAfterMs, problem.rateLimited ? Math.min(opts.backoffMaxMs, 3600_000) : 0);
      const next = retryAt(opts.now(), failures, opts, wish);
      await writeStatus({ ...base, state: 'failed', failures, lastError: message, nextAttemptAt: next.toISOString(), updatedAt: new Date().toISOString() });
      await events.record({ type: 'farm', action: 'cert.failed', site: name, customer: site.value.customer, target: `site/${name}`, result: 'error', message: `${name}: certificate order failed: ${message} (try ${failures}; next at ${next.toISOString()})` }).catch(() => {});
      log.warn({ event: 'acme.failed', site: name, err: message, failures, next: next.toISOString() }, 'certificate order failed; retrying later');
    }
  }

  async function issue(site: string, names: string[]): Promise<{ cert: string; key: string }> {
    const wildcard = names.some((n) => n.startsWith('*.'));
    if (wildcard && !opts.dnsHook) throw new Error(`a wildcard name (${names.find((n) => n.startsWith('*.'))}) can only be validated by DNS-01, and this farm has no --acme-dns-hook`);
    const types: ChallengeType[] = wildcard ? ['dns-01'] : opts.challenges.filter((t) => t !== 'dns-01' || opts.dnsHook);
    client ??= await acmeAccount(store, opts);
    const acme = await acmeLib();
    const key = await acme.crypto.createPrivateEcdsaKey();
    const [, csr] = await acme.crypto.createCsr({ altNames: names, ...(names[0]!.length <= 64 ? { commonName: names[0] } : {}) }, key);
    const answers = challengeAnswers(store, site, opts);
    const cert = await client.auto({
      csr, termsOfServiceAgreed: true, skipChallengeVerification: true, challengePriority: types,
      challengeCreateFn: (authz, ch, ka) => answers.publish(authz, ch, ka),
      challengeRemoveFn: (authz, ch, ka) => answers.withdraw(authz, ch, ka),
    });
    return { cert, key: key.toString() };
  }

  /** Status records of deleted sites, and challenges left behind (a controller that stopped mid-order) after an hour. */
  async function forgetDeleted(live: Set<string>, withStatus: string[]): Promise<void> {
    const stale = withStatus.filter((s) => !live.has(s)).map((s) => keys.certStatus(s));
    const { kvs } = await store.range(keys.acmeChallenges);
    for (const kv of kvs) {
      const rec = JSON.parse(kv.value) as Partial<AcmeChallengeRecord>;
      if (!live.has(rec.site ?? '') || !(Date.parse(rec.createdAt ?? '') > Date.now() - STALE_CHALLENGE_MS)) stale.push(kv.key);
    }
    if (stale.length) await fenced([], stale.map((key): TxnOp => ({ type: 'delete', key })));
  }

  function writeStatus(status: CertStatusRecord): Promise<boolean> {
    return fenced([], [{ type: 'put', key: keys.certStatus(status.site), value: JSON.stringify(status) }]);
  }

  async function fenced(compare: Compare[], success: TxnOp[]): Promise<boolean> {
    const fence = o.fence ? o.fence() : undefined;
    if (o.fence && !fence) return false;
    const res = await store.txn({ compare: fence ? [...compare, fence] : compare, success, failure: [] });
    return res.succeeded;
  }

  const watchers: Watcher[] = [];
  for (const prefix of [keys.sites, keys.certificates]) {
    const { revision } = await store.range(prefix);
    watchers.push(await store.watch(prefix, (evs) => kickSites(evs.map((ev) => ev.kv.key.slice(prefix.length))), { fromRevision: revision + 1, onError: () => kickAll() }));
  }
  kickAll();
  return {
    kick: kickAll,
    pass: () => {
      changed = 'all';
      return (running = running.then(pass));
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      watchers.forEach((w) => w.close());
      // an order under way may poll the CA for a while: its writes are fenced, so do not wait for it long
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([running.catch(() => {}), new Promise((r) => (wait = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(wait);
    },
  };
}

const CLOSE_WAIT_MS = 2000;
const STALE_CHALLENGE_MS = 3600_000;

function validStatus(site: string, names: string[], x509: X509Certificate, renewAt: Date, prev: CertStatusRecord | undefined): CertStatusRecord {
  const { lastError: _drop, ...rest } = prev ?? ({} as Partial<CertStatusRecord>);
  return {
    ...rest, site, names, state: 'valid', issuer: issuerName(x509), notAfter: new Date(x509.validTo).toISOString(), nextAttemptAt: renewAt.toISOString(),
    failures: 0, orders: prev?.orders ?? 0, updatedAt: new Date().toISOString(),
  };
}

function issuerName(x509: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(x509.issuer)?.[1] ?? x509.issuer.replace(/\n/g, ', ');
}

function readCert(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function byName<T>(kvs: readonly { key: string; value: string }[]): Map<string, T> {
  return new Map(kvs.map((kv) => [keyName(kv.key), JSON.parse(kv.value) as T]));
}

/** A message an operator can act on. */
function describe(err: unknown, directoryUrl: string): string {
  const e = err as Error & { code?: string };
  // acme-client answers an unreachable server with a TypeError about a missing response
  if (e instanceof TypeError && /reading 'status'|reading 'config'/.test(e.message)) return `cannot reach the ACME server at ${directoryUrl}`;
  if (e.code && /^E[A-Z]+/.test(e.code)) return `cannot reach the ACME server at ${directoryUrl} (${e.code})`;
  return (e.message || String(err)).slice(0, 500);
}
