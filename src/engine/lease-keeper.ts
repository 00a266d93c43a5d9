// Keeps the engine's lease alive: grant, register, renew every ttl/4 (a renewal that has to
// fail over to another etcd member still lands well inside the TTL). When a renewal
// says the lease is gone (-1), grant a new one and register everything again.

import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/types.ts';

export interface LeaseKeeper {
  /** The current lease (0 before start). */
  readonly id: number;
  /** Grant the first lease and run onLease for it. */
  start(): Promise<void>;
  /** Stop renewing and revoke the lease (its keys go with it). Safe to call twice. */
  close(): Promise<void>;
  /** Stop renewing and leave the lease to expire. */
  abandon(): void;
  /** Stop renewing, leaving the lease to expire, until resume() (a drill's crash or partition). */
  pause(): void;
  /** Grant a new lease, register everything under it, and renew it again. */
  resume(): Promise<void>;
}

export interface LeaseKeeperOptions {
  store: Store;
  ttlSeconds: number;
  /** (Re-)register everything under a new lease. */
  onLease: (leaseId: number) => Promise<void>;
  log: Logger;
}

export function createLeaseKeeper(opts: LeaseKeeperOptions): LeaseKeeper {
  const { store, log } = opts;
  let id = 0;
  let registered = false;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const every = Math.max(100, (opts.ttlSeconds * 1000) / 4);

  async function renew() {
    try {
      if (id !== 0 && (await store.keepAlive(id)) === -1) {
        log.warn({ event: 'engine.lease_lost', lease: id }, 'engine lease lost');
        id = 0;
        registered = false;
      }
      if (!registered && !closing) await acquire();
    } catch (err) {
      log.warn({ event: 'engine.lease_renew_failed', err, lease: id }, 'engine lease renewal failed');
    }
  }

  async function acquire() {
    if (id === 0) id = await store.grantLease(opts.ttlSeconds);
    await opts.onLease(id);
    registered = true;
    log.info({ event: 'engine.registered', lease: id, ttlSeconds: opts.ttlSeconds }, 'engine registered');
  }

  function tick() {
    if (renewing || closing) return;
    renewing = renew().finally(() => (renewing = undefined));
  }

  return {
    get id() {
      return id;
    },
    async start() {
      await acquire();
      timer = setInterval(tick, every);
    },
    close() {
      clearInterval(timer);
      closing ??= (async () => {
        await renewing;
        if (id !== 0) await store.revokeLease(id).catch((err: unknown) => log.warn({ event: 'engine.lease_revoke_failed', err, lease: id }, 'engine lease revoke failed'));
      })();
      return closing;
    },
    abandon() {
      clearInterval(timer);
      closing ??= Promise.resolve();
    },
    pause() {
      clearInterval(timer);
    },
    async resume() {
      if (closing) return;
      await renewing;
      id = 0;
      registered = false;
      clearInterval(timer);
      timer = setInterval(tick, every);
      await acquire();
    },
  };
}
