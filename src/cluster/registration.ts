// Keep one key alive under a lease of its own: put it, renew every ttl/3, and put it
// again under a new lease when the old one is lost, or when a put failed (the store
// fails over between etcd members, so a renewal failing means etcd as a whole could not
// answer: the next tick tries again). The key vanishes within the TTL after the process
// dies (that is how the others notice).

import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/index.ts';

export interface Registration {
  /** Stop renewing and delete the key (revoke the lease). Safe to call twice. */
  close(): Promise<void>;
  /** Stop renewing; the key expires with the lease, as on a crash. */
  abandon(): void;
}

export async function register(store: Store, key: string, value: string, ttlSeconds: number, log: Logger): Promise<Registration> {
  let lease = 0;
  let registered = false;
  let stopped = false;
  let busy = false;
  const put = async () => {
    registered = false;
    lease = await store.grantLease(ttlSeconds);
    await store.put(key, value, { lease });
    registered = true;
  };
  await put();
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void (async () => {
      try {
        if (!registered || (await store.keepAlive(lease)) === -1) await put();
      } catch (err) {
        log.warn({ err, key }, 'registration renewal failed');
      } finally {
        busy = false;
      }
    })();
  }, Math.max(100, (ttlSeconds * 1000) / 3));
  return {
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await store.revokeLease(lease).catch(() => {});
    },
    abandon() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
