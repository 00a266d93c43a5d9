// Keeps a router's certificates in step with the store: load every record under
// keys.certificates, then watch and swap in the whole set after each event batch
// (like watch-routes.ts). If the watch breaks it reloads and watches again.

import type { Logger } from '../lib/log.ts';
import { keys, type CertificateRecord } from '../model/index.ts';
import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';
import type { Router } from './router.ts';
import type { RouteWatch } from './watch-routes.ts';

export async function watchCertificates(store: Store, router: Pick<Router, 'setCertificates'>, log: Logger): Promise<RouteWatch> {
  const certs = new Map<string, CertificateRecord>();
  let watcher: Watcher | undefined;
  let closed = false;

  const publish = () => router.setCertificates([...certs.values()]);
  const apply = (kv: KeyValue) => {
    const rec = parseCertificate(kv, log);
    if (rec) certs.set(kv.key, rec);
    else certs.delete(kv.key);
  };

  const start = async (): Promise<void> => {
    const { kvs, revision } = await store.range(keys.certificates);
    if (closed) return;
    certs.clear();
    kvs.forEach(apply);
    publish();
    watcher = await store.watch(keys.certificates, onEvents, { fromRevision: revision + 1, onError: restart });
    if (closed) watcher.close();
  };

  function onEvents(events: WatchEvent[]): void {
    if (closed) return;
    for (const ev of events) {
      if (ev.type === 'put') apply(ev.kv);
      else certs.delete(ev.kv.key);
    }
    publish();
  }

  function restart(err: Error): void {
    if (closed) return;
    log.warn({ event: 'tls.watch-error', err: err.message }, 'certificate watch broke; reloading');
    watcher?.close();
    start().catch((e: unknown) => {
      log.error({ event: 'tls.reload-failed', err: (e as Error).message }, 'certificate reload failed');
      if (!closed) setTimeout(() => restart(e as Error), 1000).unref();
    });
  }

  await start();
  const close = (): void => {
    closed = true;
    watcher?.close();
  };
  return Object.assign(close, { close });
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
