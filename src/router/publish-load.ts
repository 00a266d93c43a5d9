// A router's side of autoscaling and scale to zero, in the store: every `intervalMs` its
// per-site load (Router.takeLoad, or a cluster's workers summed) is put under
// keys.routerLoad(id) on the router's own lease (gone with the router), and a held
// request's wake becomes a WakeRecord under keys.wake(site), which the leader's
// autoscaler watches. A router with nothing to report writes once that it has nothing,
// then only keeps its lease alive, every third of its TTL (not every interval: an idle
// farm's store is written, and synced, only as often as the lease needs).

import { keys, type RouterLoadRecord, type WakeRecord } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import type { LoadReport } from './site-load.ts';

export interface LoadSource {
  takeLoad(): LoadReport;
  onWake(listener: (site: string) => void): void;
}

export interface PublishLoadOptions {
  /** The router's id (one record per router, its workers summed). */
  id: string;
  intervalMs?: number;
  /** The record's lease; a router gone this long no longer counts. */
  ttlSeconds?: number;
  log?: Logger;
}

/** Start publishing; the returned function stops (the record goes with its lease). */
export function publishLoad(store: Store, source: LoadSource, opts: PublishLoadOptions): () => void {
  const log = opts.log ?? silentLogger;
  const key = keys.routerLoad(opts.id);
  let lease = 0;
  let wroteEmpty = false;
  let stopped = false;
  let busy = false;
  const ttlSeconds = opts.ttlSeconds ?? 5;
  let renewedAt = 0;

  const publish = async (): Promise<void> => {
    const sites = source.takeLoad();
    const empty = Object.keys(sites).length === 0;
    if (empty && wroteEmpty && Date.now() - renewedAt < (ttlSeconds * 1000) / 3) return;
    if (lease === 0 || (await store.keepAlive(lease)) < 0) {
      lease = await store.grantLease(ttlSeconds);
      wroteEmpty = false;
    }
    renewedAt = Date.now();
    if (empty && wroteEmpty) return;
    const record: RouterLoadRecord = { router: opts.id, at: Date.now(), sites };
    if (!stopped) await store.put(key, JSON.stringify(record), { lease });
    wroteEmpty = empty;
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    publish().catch((err: unknown) => log.warn({ event: 'router.load-publish-failed', err }, 'could not publish the router load')).finally(() => (busy = false));
  }, opts.intervalMs ?? 1_000);
  timer.unref();

  source.onWake((site) => {
    const wake: WakeRecord = { site, router: opts.id, at: Date.now() };
    log.info({ event: 'router.wake', site }, 'request held for an idle site: wake asked');
    store.put(keys.wake(site), JSON.stringify(wake)).catch((err: unknown) => log.warn({ event: 'router.wake-failed', site, err }, 'could not ask for a wake'));
  });

  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    source.onWake(() => {});
    if (lease !== 0) store.revokeLease(lease).catch(() => {});
  };
}
