// Leader election on the Store interface (SQLite or etcd): one controller holds
// keys.leader, attached to its lease; only it runs the reconciler. Others serve the
// API and campaign again as soon as the key goes (watched) or on their next tick.
//
// The states and their moves:
//   following  — tick: read the key. Free → campaign: grant a *fresh* lease and txn
//                "create(leader) = 0 → put leader {id} with that lease". Held by the
//                lease of our own last campaign (its answer was lost) → adopt it. Held
//                under our id by an older lease → delete it (compare mod) and campaign.
//   leading    — every ttl/3 (at most 1 s): keep the lease alive, check the key is still the one won,
//                ask `healthy()`. Give up when the lease is gone, the key is not ours,
//                the work cannot go on, or no renewal was confirmed for ttl − margin
//                (the lease is in doubt: it may be expiring in the store right now).
//   giving up  — stop the work (onDemoted), then revoke the lease, which deletes the
//                key if it still hangs on it. The lease is never renewed again, so the
//                key cannot stay held by a controller that does not lead. After "cannot
//                act" (onElected threw, healthy() said no) wait `retreatMs` before
//                campaigning, so that another controller takes over.
// The renewal clock counts from when a keep-alive call *started*: the store renewed the
// lease at that moment or later, so the lease lives at least until then + ttl.

import type { Compare, KeyValue, Store, Watcher } from '../store/types.ts';
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
  /**
   * Lease TTL (default 6 s): the longest a crashed leader blocks a new one. It must outlast
   * an etcd failover (a new raft leader in 1–4 s): the leader gives up when no renewal is
   * confirmed for TTL − ½ s.
   */
  ttlSeconds?: number;
  /** Called on becoming leader; the leader's work starts here. If it throws, the key is released. */
  onElected: () => Promise<void> | void;
  /** Called on losing leadership (or closing as leader); the work must stop here. */
  onDemoted: () => Promise<void> | void;
  /** Asked on every renewal while leading: false means the leader's work cannot go on here; the key is released. */
  healthy?: () => boolean | Promise<boolean>;
  /** After releasing the key because this contender could not act, campaign again only after this long (default 2 × TTL). */
  retreatMs?: number;
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
  /**
   * A `corral drill` of a crashed leader: stop the work and every renewal at once, leaving
   * the lease (and the key on it) to expire as a crash would, and campaign again only after
   * ms. Answers whether this contender was leading.
   */
  freeze(ms: number): boolean;
}

export async function startLeaderElection(opts: LeaderElectionOptions): Promise<LeaderElection> {
  const { store } = opts;
  const log = opts.log ?? silentLogger;
  const key = opts.key ?? keys.leader;
  const ttl = opts.ttlSeconds ?? 6;
  const tickMs = Math.max(100, Math.min(1000, Math.floor((ttl * 1000) / 3)));
  // Time kept between "in doubt" and the earliest moment the store may expire the lease.
  const marginMs = Math.min(tickMs, 500);
  const retreatMs = opts.retreatMs ?? 2 * ttl * 1000;
  let lease = 0; // of the current campaign or leadership; 0: none
  let leading = false;
  let heldRevision = 0;
  let lastRenewal = 0;
  let retreatUntil = 0;
  let doubtTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let frozenUntil = 0;
  let busy: Promise<void> = Promise.resolve();

  const serial = (step: () => Promise<void>): Promise<void> => {
    busy = busy.then(step).catch((err: unknown) => log.warn({ event: 'leader.error', err, id: opts.id }, 'leader election step failed'));
    return busy;
  };

  /**
   * Leave leadership (if held) and drop the lease at once — nothing renews it from now on;
   * returns the slow part (stop the work, revoke the lease) for the caller to run in order.
   */
  const giveUp = (why: string, retreat = false): (() => Promise<void>) => {
    const old = lease;
    const was = leading;
    lease = 0;
    leading = false;
    heldRevision = 0;
    clearTimeout(doubtTimer);
    if (retreat) retreatUntil = Date.now() + retreatMs;
    if (was) log.warn({ event: 'leader.demoted', id: opts.id, why, lease: old }, 'no longer the leader');
    return async () => {
      if (was) await Promise.resolve().then(opts.onDemoted).catch((err: unknown) => log.error({ event: 'leader.demote_failed', err, id: opts.id }, 'stopping the leader work failed'));
      // Revoking deletes the key if it still hangs on this lease: the others campaign at once.
      if (old !== 0) await store.revokeLease(old).catch((err: unknown) => log.warn({ event: 'leader.revoke_failed', err, lease: old }, 'could not revoke the old lease; it expires unrenewed'));
    };
  };

  const win = async (revision: number, renewedAt: number) => {
    heldRevision = revision;
    leading = true;
    renewed(renewedAt);
    log.info({ event: 'leader.elected', id: opts.id, lease }, 'elected leader');
    try {
      await opts.onElected();
    } catch (err) {
      log.error({ event: 'leader.start_failed', err, id: opts.id }, 'could not start the leader work; releasing the leader key');
      await giveUp('could not start the leader work', true)();
    }
  };

  const campaign = async () => {
    if (closed || leading || Date.now() < retreatUntil || Date.now() < frozenUntil) return;
    const kv = await store.get(key);
    if (kv) return await settle(kv);
    // A fresh lease for every campaign: never one that may still hold the key from before.
    if (lease !== 0) await giveUp('new campaign')();
    const sent = Date.now();
    const mine = await store.grantLease(ttl);
    lease = mine;
    const record: LeaderRecord = { id: opts.id, since: new Date().toISOString(), ...(opts.url ? { url: opts.url } : {}) };
    const res = await store.txn({
      compare: [{ key, target: 'create', op: '=', value: 0 }],
      success: [{ type: 'put', key, value: JSON.stringify(record), lease: mine }],
    });
    if (closed || lease !== mine) return;
    if (!res.succeeded) return await giveUp('lost the campaign')();
    await win(res.revision, sent);
  };

  /** The key is held: by our own campaign (adopt), by an older lease of ours (release), or by another leader. */
  const settle = async (kv: KeyValue) => {
    const mine = lease;
    if (mine !== 0 && kv.lease === mine) {
      const sent = Date.now();
      if ((await store.keepAlive(mine)) === -1 || closed || lease !== mine) return;
      return await win(kv.modRevision, sent);
    }
    if (holderOf(kv) !== opts.id) return;
    const res = await store.txn({ compare: [{ key, target: 'mod', op: '=', value: kv.modRevision }], success: [{ type: 'delete', key }] });
    if (res.succeeded) log.info({ event: 'leader.stale_key_released', id: opts.id, lease: kv.lease }, 'released a leader key left by an earlier lease');
  };

  const hold = async () => {
    const mine = lease;
    const sent = Date.now();
    let left: number;
    try {
      left = await store.keepAlive(mine);
    } catch (err) {
      log.warn({ event: 'leader.renew_failed', err, id: opts.id }, 'could not renew the leader lease; trying again');
      return;
    }
    if (!leading || lease !== mine) return;
    if (left === -1) return await giveUp('lease expired')();
    renewed(sent);
    const kv = await store.get(key);
    if (!leading || lease !== mine) return;
    if (kv?.modRevision !== heldRevision) return await giveUp('leader key taken or gone')();
    if (opts.healthy && !(await opts.healthy())) {
      if (leading && lease === mine) await giveUp('cannot do the leader work', true)();
    }
  };

  /**
   * A renewal that started at `at` was confirmed. The lease may be expiring in the store
   * from at + ttl on: give up just before, unless a later renewal is confirmed first. A timer
   * of its own, not the tick: a renewal may hang for as long as the store's call deadline.
   */
  const renewed = (at: number) => {
    lastRenewal = Math.max(lastRenewal, at);
    clearTimeout(doubtTimer);
    doubtTimer = setTimeout(() => {
      if (leading && !closed) void serial(giveUp('lease in doubt: no renewal confirmed within the TTL'));
    }, lastRenewal + ttl * 1000 - marginMs - Date.now());
  };

  let inFlight = false;
  const tick = () => {
    if (closed || Date.now() < frozenUntil) return;
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
    leader: () => readLeader(store, key),
    freeze(ms) {
      const was = leading;
      frozenUntil = Date.now() + ms;
      lease = 0; // never renewed again: it expires in the store, and the key with it
      leading = false;
      heldRevision = 0;
      clearTimeout(doubtTimer);
      if (was) {
        log.warn({ event: 'leader.drill_frozen', id: opts.id, ms }, 'drill: the leader freezes as a crashed one would');
        void serial(async () => {
          await Promise.resolve().then(opts.onDemoted).catch((err: unknown) => log.error({ event: 'leader.demote_failed', err, id: opts.id }, 'stopping the leader work failed'));
        });
      }
      return was;
    },
    abandon() {
      closed = true;
      clearInterval(timer);
      clearTimeout(doubtTimer);
      watcher.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      clearTimeout(doubtTimer);
      watcher.close();
      await serial(giveUp('closing'));
    },
  };
}

/** The current leader as the store says (undefined: none, e.g. during an election, or a farm without election). */
export async function readLeader(store: Store, key: string = keys.leader): Promise<LeaderRecord | undefined> {
  const kv = await store.get(key);
  return kv ? (JSON.parse(kv.value) as LeaderRecord) : undefined;
}

/** The id in a leader record, if it parses. */
function holderOf(kv: KeyValue): string | undefined {
  try {
    return (JSON.parse(kv.value) as LeaderRecord).id;
  } catch {
    return undefined;
  }
}
