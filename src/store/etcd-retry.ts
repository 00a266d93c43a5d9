// The outer layer of failing over between etcd members, shared by both etcd stores
// (gRPC: etcd-failover.ts; JSON gateway: etcd-gateway-http.ts): the whole call again,
// until it succeeds or the call deadline passes, while the failure says "unavailable" —
// that covers the second or so a raft election takes, when every member answers "no
// leader". No etcd client is imported here, so the gateway store stays without one.

import { storeError } from './etcd-errors.ts';
import { StoreUnavailableError } from './errors.ts';

/** Pause between two rounds over the members. */
const ROUND_PAUSE_MS = 100;

/** Run call until it succeeds, fails with something other than "unavailable", or deadline (epoch ms) passes. */
export async function withFailover<T>(call: () => Promise<T>, deadline: number, ctx: { leaseId?: number } = {}): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const mapped = storeError(err, ctx);
      if (!(mapped instanceof StoreUnavailableError) || Date.now() + ROUND_PAUSE_MS >= deadline) throw mapped;
      await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
    }
  }
}
