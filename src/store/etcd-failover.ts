// Failing over between etcd members, for every call: losing one member of three must
// be a non-event for the callers of the Store.
//
// Three layers, from the inside out:
//  1. etcd3's per-member circuit breaker: a member that failed twice in a row is
//     skipped for a second (then tried again, half-open), so calls stop going to a
//     dead member at once.
//  2. etcd3's global retry: a failed attempt is retried on the next member of a
//     shuffle, each attempt with its own short deadline (attemptTimeoutMs), so a member
//     that hangs costs one attempt, not the whole call.
//  3. `withFailover` (etcd-retry.ts): the whole call again, until it succeeds or the call deadline
//     (callTimeoutMs) passes, while the failure says "unavailable" — that covers the
//     second or so a raft election takes, when every member answers "no leader".
// Lease keep-alives are a stream in etcd: `keepAliveOnce` opens one on some member,
// sends one renewal and waits for the answer with the attempt deadline; a dead or
// silent member fails the attempt (and counts against its circuit), and the next
// attempt opens the stream on another member.

import { circuitBreaker, ConsecutiveBreaker, ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { isRecoverableError, type Etcd3, type IOptions } from 'etcd3';
import { StoreUnavailableError } from './errors.ts';

/** How long a member that failed is left alone before one call may try it again. */
const MEMBER_HALF_OPEN_MS = 1000;

/** etcd3's fault handling: circuit per member, retries on other members. */
export function faultHandling(members: number): IOptions['faultHandling'] {
  return {
    host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: MEMBER_HALF_OPEN_MS, breaker: new ConsecutiveBreaker(2) }),
    global: retry(handleWhen(isRecoverableError), { maxAttempts: Math.max(2, members), backoff: new ConstantBackoff(20) }),
  };
}

/** One keep-alive of leaseId on one member: its remaining TTL (0 or less: the lease is gone). */
export async function keepAliveOnce(client: Etcd3, leaseId: number, attemptTimeoutMs: number): Promise<number> {
  const stream = await client.leaseClient.leaseKeepAlive();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<number>((resolve, reject) => {
      stream.on('data', (res) => resolve(Number(res.TTL)));
      stream.on('error', reject);
      stream.on('end', () => reject(new StoreUnavailableError('keep-alive stream ended by the member')));
      timer = setTimeout(() => {
        reject(new StoreUnavailableError(`keep-alive: no answer within ${attemptTimeoutMs} ms (deadline exceeded)`));
        // Cancelling reports the stream as failed to etcd3, which counts it against the member.
        stream.cancel();
      }, attemptTimeoutMs);
      stream.write({ ID: leaseId });
    });
  } finally {
    clearTimeout(timer);
    stream.end();
  }
}
