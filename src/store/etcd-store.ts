// The Store on etcd v3 (through the etcd3 client): real consensus, leases and
// watches for a farm on many hosts. Keys live under a namespace so that several
// farms (or test cases) can share one etcd cluster. Its watches go through etcd's JSON
// gateway on the same client URLs (etcd-gateway-watch.ts, as the gateway store's): etcd3
// resumed a lost watch on a member picked at random, and grpc-js has no deadline for
// connecting, so a watch that resumed on a member that had hung waited until it woke.

import { Etcd3, type IOptions } from 'etcd3';
import { grantLeaseWithSafeId, Keyspace } from './etcd-codec.ts';
import { faultHandling, keepAliveOnce } from './etcd-failover.ts';
import { withFailover } from './etcd-retry.ts';
import { GatewayHttp, memberUrls } from './etcd-gateway-http.ts';
import { storeWatch } from './etcd-gateway-watch.ts';
import { OpenWatches, type OnEvents } from './etcd-watch-delivery.ts';
import { InvalidArgumentError, StoreClosedError, StoreUnavailableError } from './errors.ts';
import { requireKey, validateBranch } from './txn-validate.ts';
import type { KeyValue, PutOptions, RangeResult, Store, TxnRequest, TxnResult, Watcher, WatchOptions } from './types.ts';

export interface EtcdStoreOptions {
  /** Prefix put before every key in etcd (default none: Corral's keys already start with /corral). */
  namespace?: string;
  /** Per-call deadline in ms, over every member tried (default 5000). */
  callTimeoutMs?: number;
  /** Deadline of one attempt on one member in ms (default 1500, at most callTimeoutMs): then the next member. */
  attemptTimeoutMs?: number;
  /** Time to connect to a member in ms (default 3000). */
  dialTimeoutMs?: number;
}

/** Open a store on the etcd cluster at endpoints ('http://127.0.0.1:2379' or 'host:port'). */
export async function openEtcdStore(endpoints: string[], opts: EtcdStoreOptions = {}): Promise<Store> {
  if (endpoints.length === 0) throw new InvalidArgumentError('etcd store needs at least one endpoint');
  const members = memberUrls(endpoints);
  const hosts = members.map((m) => m.origin);
  const callTimeoutMs = opts.callTimeoutMs ?? 5000;
  const attemptTimeoutMs = Math.min(opts.attemptTimeoutMs ?? 1500, callTimeoutMs);
  const options: IOptions = {
    hosts,
    dialTimeout: opts.dialTimeoutMs ?? 3000,
    // Each attempt (one member) has its own deadline; etcd3 retries on the next member (etcd-failover.ts).
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + attemptTimeoutMs }),
    faultHandling: faultHandling(hosts.length),
  };
  // each process's watches start on a member picked at random, as etcd3's did: not every engine's on the first
  const watchHttp = new GatewayHttp(members, { attemptTimeoutMs, first: Math.floor(Math.random() * hosts.length) });
  const store = new EtcdStore(new Etcd3(options), watchHttp, new Keyspace(opts.namespace ?? ''), callTimeoutMs, attemptTimeoutMs);
  try {
    await store.revision(); // fail fast when no member answers
    // the watches need etcd's JSON gateway on the same URLs (etcd serves it there unless told to serve HTTP elsewhere)
    await withFailover(() => watchHttp.post('/v3/maintenance/status', {}), Date.now() + callTimeoutMs).catch((err: unknown) => {
      throw new StoreUnavailableError(`etcd's JSON gateway does not answer at ${hosts.join(', ')} (the store's watches use it): ${(err as Error).message}`, { cause: err });
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class EtcdStore implements Store {
  readonly kind = 'etcd';
  private closed = false;
  private readonly watches = new OpenWatches();

  constructor(
    private readonly client: Etcd3,
    /** The watches' HTTP to the members' JSON gateway. */
    private readonly watchHttp: GatewayHttp,
    private readonly ks: Keyspace,
    private readonly callTimeoutMs: number,
    private readonly attemptTimeoutMs: number,
  ) {}

  async get(key: string): Promise<KeyValue | undefined> {
    this.open();
    requireKey(key);
    const res = await this.call(() => this.client.kv.range({ key: this.ks.key(key) }));
    return res.kvs[0] ? this.ks.kv(res.kvs[0]) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    this.open();
    const res = await this.call(() => this.client.kv.range({ ...this.ks.range(prefix), sort_order: 'Ascend', sort_target: 'Key' }));
    return { kvs: res.kvs.map((kv) => this.ks.kv(kv)), revision: Number(res.header.revision) };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<{ revision: number }> {
    this.open();
    requireKey(key);
    if (typeof value !== 'string') throw new InvalidArgumentError('a value must be a string');
    const lease = opts.lease ?? 0;
    const res = await this.call(() => this.client.kv.put({ key: this.ks.key(key), value: Buffer.from(value, 'utf8'), lease }), { leaseId: lease });
    return { revision: Number(res.header.revision) };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    this.open();
    requireKey(key);
    const res = await this.call(() => this.client.kv.deleteRange({ key: this.ks.key(key) }));
    return { revision: Number(res.header.revision), deleted: Number(res.deleted) };
  }

  async deletePrefix(prefix: string): Promise<{ revision: number; deleted: number }> {
    this.open();
    const res = await this.call(() => this.client.kv.deleteRange(this.ks.range(prefix)));
    return { revision: Number(res.header.revision), deleted: Number(res.deleted) };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    this.open();
    for (const cmp of req.compare) requireKey(cmp.key);
    validateBranch(req.success);
    validateBranch(req.failure ?? []);
    const lease = [...req.success, ...(req.failure ?? [])].find((op) => op.type === 'put' && op.lease);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: req.compare.map((c) => this.ks.compare(c)),
        success: req.success.map((op) => this.ks.op(op)),
        failure: (req.failure ?? []).map((op) => this.ks.op(op)),
      }),
      { leaseId: lease?.type === 'put' ? lease.lease : 0 },
    );
    const gets = res.responses.flatMap((r) => (r.response_range ? [r.response_range.kvs[0] ? this.ks.kv(r.response_range.kvs[0]) : undefined] : []));
    return { succeeded: res.succeeded, revision: Number(res.header.revision), gets };
  }

  async watch(prefix: string, onEvents: OnEvents, opts: WatchOptions = {}): Promise<Watcher> {
    this.open();
    return storeWatch(this.watchHttp, this.ks, prefix, onEvents, opts, { revision: () => this.revision(), callTimeoutMs: this.callTimeoutMs, watches: this.watches });
  }

  async revision(): Promise<number> {
    this.open();
    const res = await this.call(() => this.client.kv.range({ key: this.ks.key('/'), count_only: true }));
    return Number(res.header.revision);
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    this.open();
    return grantLeaseWithSafeId(ttlSeconds, async (id) => Number((await this.call(() => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }))).ID));
  }

  async keepAlive(leaseId: number): Promise<number> {
    this.open();
    // A keep-alive is a stream on one member: a failed attempt opens the next on another.
    const ttl = await this.call(() => keepAliveOnce(this.client, leaseId, this.attemptTimeoutMs), { leaseId });
    return ttl > 0 ? ttl : -1;
  }

  async revokeLease(leaseId: number): Promise<void> {
    this.open();
    await this.call(() => this.client.leaseClient.leaseRevoke({ ID: leaseId }), { leaseId });
  }

  async leaseTtl(leaseId: number): Promise<number> {
    this.open();
    const res = await this.call(() => this.client.leaseClient.leaseTimeToLive({ ID: leaseId }));
    const ttl = Number(res.TTL);
    return ttl > 0 ? ttl : -1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watches.closeAll();
    this.watchHttp.close();
    this.client.close();
  }

  /** One store call, failing over between members until it succeeds or the call deadline passes. */
  private call<T>(fn: () => Promise<T>, ctx: { leaseId?: number } = {}): Promise<T> {
    return withFailover(fn, Date.now() + this.callTimeoutMs, ctx).catch((err: unknown) => {
      throw this.closed ? new StoreClosedError() : err; // closed while the call was out: etcd3 says only that its client is closed
    });
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
