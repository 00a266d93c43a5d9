// Leader election on the Store interface (SQLite or etcd): one controller holds
// keys.leader, attached to its lease; only it runs the reconciler. Others serve the
// API and campaign again as soon as the key goes (watched) or on their next tick.
//
// Campaign: txn "create(leader) = 0 → put leader {id} with my lease". Hold: keep the
// lease alive every ttl/3. Step down, before anyone else can be elected, when the
// lease is gone (-1), the key is no longer mine, or no keep-alive succeeded for
// ttl − one tick (the store may be unreachable and the lease expiring there).

import type { Compare, Store, Watcher } from '../store/types.ts';
import { keys } from '../model/index.ts';
import { silentLogger, type Logger } from '../lib/log.ts';

export interface LeaderRecord {
  id: string;
  /** The leader's API URL, when it has one (followers may point clients there). */
  url?: string;
  since: string;
}

export interface LeaderElectionOptions {
  store: Store;
  /** This contender's id (unique among controllers). */
  id: string;
  url?: string;
  /** Lease TTL (default 3 s): the longest a dead leader blocks a new one. */
  ttlSeconds?: number;
  /** Called on becoming leader; the leader's work starts here. */
  onElected: () => Promise<void> | void;
  /** Called on losing leadership (or closing as leader); the work must stop here. */
  onDemoted: () => Promise<void> | void;
  log?: Logger;
  /** The key contended for (default keys.leader). */
  key?: string;
}

export interface LeaderElection {
  readonly isLeader: boolean;
  /**
   * A compare that holds only while this contender still holds the leader key it won;
   * undefined when not leading. The leader's writes carry it, so a leader that lost the
   * key without noticing yet cannot write (fencing).
   */
  fence(): Compare | undefined;
  /** The current leader as the store says, if any. */
  leader(): Promise<LeaderRecord | undefined>;
  /** Step down (if leader), revoke the lease and stop campaigning. Safe to call twice. */
  close(): Promise<void>;
  /** Stop everything at once and leave the lease to expire, as a crash would (tests). */
  abandon(): void;
}

export async function startLeaderElection(opts: LeaderElectionOptions): Promise<LeaderElection> {
  const { store } = opts;
  const log = opts.log ?? silentLogger;
  const key = opts.key ?? keys.leader;
  const ttl = opts.ttlSeconds ?? 3;
  const tickMs = Math.max(100, Math.floor((ttl * 1000) / 3));
  let lease = 0;
  let leading = false;
  let heldRevision = 0;
  let lastRenewal = 0;
  let closed = false;
  let busy: Promise<void> = Promise.resolve();

  const serial = (step: () => Promise<void>): Promise<void> => {
    busy = busy.then(step).catch((err: unknown) => log.warn({ event: 'leader.error', err, id: opts.id }, 'leader election step failed'));
    return busy;
  };

  const stepDown = async (why: string) => {
    if (!leading) return;
    leading = false;
    log.warn({ event: 'leader.demoted', id: opts.id, why }, 'no longer the leader');
    await opts.onDemoted();
  };

  const campaign = async () => {
    if (closed || leading) return;
    const sent = Date.now();
    if (lease === 0 || (await store.keepAlive(lease)) === -1) lease = await store.grantLease(ttl);
    const record: LeaderRecord = { id: opts.id, since: new Date().toISOString(), ...(opts.url ? { url: opts.url } : {}) };
    const res = await store.txn({
      compare: [{ key, target: 'create', op: '=', value: 0 }],
      success: [{ type: 'put', key, value: JSON.stringify(record), lease }],
    });
    if (!res.succeeded || closed) return;
    heldRevision = res.revision;
    lastRenewal = sent;
    leading = true;
    log.info({ event: 'leader.elected', id: opts.id, lease }, 'elected leader');
    await opts.onElected();
  };

  const hold = async () => {
    if (!leading) return;
    try {
      const sent = Date.now();
      const left = await store.keepAlive(lease);
      if (left === -1) return await stepDown('lease expired');
      lastRenewal = sent;
      const kv = await store.get(key);
      if (kv?.modRevision !== heldRevision) return await stepDown('leader key taken or gone');
    } catch (err) {
      if (overdue()) await stepDown(`store unreachable: ${(err as Error).message}`);
      else throw err;
    }
  };

  // The lease may be expiring in the store: the last renewal sent is the latest it counts from.
  const overdue = () => Date.now() - lastRenewal >= ttl * 1000 - tickMs;

  let inFlight = false;
  const tick = () => {
    if (leading && overdue()) void stepDown('no renewal within the TTL');
    if (inFlight) return;
    inFlight = true;
    void serial(async () => (leading ? hold() : campaign())).finally(() => (inFlight = false));
  };

  // Campaign at once when the key goes (the leader stepped down, closed or its lease ran out).
  const watcher: Watcher = await store.watch(key, (events) => {
    if (events.some((e) => e.type === 'delete')) tick();
  });
  await serial(campaign);
  const timer = setInterval(tick, tickMs);

  return {
    get isLeader() {
      return leading;
    },
    fence() {
      return leading ? { key, target: 'mod', op: '=', value: heldRevision } : undefined;
    },
    async leader() {
      const kv = await store.get(key);
      return kv ? (JSON.parse(kv.value) as LeaderRecord) : undefined;
    },
    abandon() {
      closed = true;
      clearInterval(timer);
      watcher.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      watcher.close();
      await serial(async () => {
        await stepDown('closing');
        if (lease !== 0) await store.revokeLease(lease).catch(() => {});
      });
    },
  };
}
