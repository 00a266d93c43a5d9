// The Store on etcd v3 through etcd's own JSON gateway (POST /v3/kv/range, /v3/watch, …
// on the members' client URLs), with node:http only: no gRPC client (grpc-js, protobufjs
// and etcd's protos are ≈ 20 MB of a process), for a router node, which needs a few
// ranges, three watches and a lease. Same namespace, codec, transaction checks, errors and
// watch delivery as the gRPC store (etcd-store.ts); the wire is etcd-json.ts, the members
// and their failover etcd-gateway-http.ts, a watch etcd-gateway-watch.ts.

import { grantLeaseWithSafeId, Keyspace } from './etcd-codec.ts';
import { GatewayHttp, memberUrls, type GatewayTls } from './etcd-gateway-http.ts';
import { storeWatch } from './etcd-gateway-watch.ts';
import { int, kvsOf, list, object, revisionOf, toJson, type Json } from './etcd-json.ts';
import { withFailover } from './etcd-retry.ts';
import type { EtcdStoreOptions } from './etcd-store.ts';
import { OpenWatches, type OnEvents } from './etcd-watch-delivery.ts';
import { InvalidArgumentError, StoreClosedError } from './errors.ts';
import { requireKey, validateBranch } from './txn-validate.ts';
import type { KeyValue, PutOptions, RangeResult, Store, TxnRequest, TxnResult, Watcher, WatchOptions } from './types.ts';

export interface EtcdGatewayStoreOptions extends Omit<EtcdStoreOptions, 'dialTimeoutMs'> {
  /** For https:// endpoints: the CA of the members' certificates and a client certificate (default: the system's CAs, none). */
  tls?: GatewayTls;
  /** How long a member carrying watches may stay silent before it is asked whether it still answers (default 3000). */
  quietMs?: number;
}

/** Open a store on the etcd cluster at endpoints ('http://127.0.0.1:2379', 'https://…' or 'host:port'), through its JSON gateway. */
export async function openEtcdGatewayStore(endpoints: string[], opts: EtcdGatewayStoreOptions = {}): Promise<Store> {
  if (endpoints.length === 0) throw new InvalidArgumentError('etcd store needs at least one endpoint');
  const members = memberUrls(endpoints);
  const callTimeoutMs = opts.callTimeoutMs ?? 5000;
  const attemptTimeoutMs = Math.min(opts.attemptTimeoutMs ?? 1500, callTimeoutMs);
  const http = new GatewayHttp(members, { attemptTimeoutMs, tls: opts.tls, quietMs: opts.quietMs });
  const store = new EtcdGatewayStore(http, new Keyspace(opts.namespace ?? ''), callTimeoutMs);
  try {
    await store.revision(); // fail fast when no member answers
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class EtcdGatewayStore implements Store {
  readonly kind = 'etcd';
  private closed = false;
  private readonly watches = new OpenWatches();

  constructor(
    private readonly http: GatewayHttp,
    private readonly ks: Keyspace,
    private readonly callTimeoutMs: number,
  ) {}

  async get(key: string): Promise<KeyValue | undefined> {
    requireKey(key);
    const res = await this.call('/v3/kv/range', { key: this.key(key) });
    const kv = kvsOf(res)[0];
    return kv ? this.ks.kv(kv) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    const res = await this.call('/v3/kv/range', { ...this.prefixRange(prefix), sort_order: 'ASCEND', sort_target: 'KEY' });
    return { kvs: kvsOf(res).map((kv) => this.ks.kv(kv)), revision: revisionOf(res) };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<{ revision: number }> {
    requireKey(key);
    if (typeof value !== 'string') throw new InvalidArgumentError('a value must be a string');
    const lease = opts.lease ?? 0;
    const body = { key: this.key(key), value: Buffer.from(value, 'utf8').toString('base64'), lease: String(lease) };
    return { revision: revisionOf(await this.call('/v3/kv/put', body, { leaseId: lease })) };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    requireKey(key);
    return this.deleted(await this.call('/v3/kv/deleterange', { key: this.key(key) }));
  }

  async deletePrefix(prefix: string): Promise<{ revision: number; deleted: number }> {
    return this.deleted(await this.call('/v3/kv/deleterange', this.prefixRange(prefix)));
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    for (const cmp of req.compare) requireKey(cmp.key);
    validateBranch(req.success);
    validateBranch(req.failure ?? []);
    const lease = [...req.success, ...(req.failure ?? [])].find((op) => op.type === 'put' && op.lease);
    const body = {
      compare: req.compare.map((c) => toJson(this.ks.compare(c))),
      success: req.success.map((op) => toJson(this.ks.op(op))),
      failure: (req.failure ?? []).map((op) => toJson(this.ks.op(op))),
    };
    const res = await this.call('/v3/kv/txn', body, { leaseId: lease?.type === 'put' ? (lease.lease ?? 0) : 0 });
    const gets = list(res.responses, 'responses').flatMap((r) => {
      const range = object(r, 'txn response').response_range;
      if (range === undefined) return [];
      const kv = kvsOf(object(range, 'response_range'))[0];
      return [kv ? this.ks.kv(kv) : undefined];
    });
    return { succeeded: res.succeeded === true, revision: revisionOf(res), gets };
  }

  async watch(prefix: string, onEvents: OnEvents, opts: WatchOptions = {}): Promise<Watcher> {
    this.open();
    return storeWatch(this.http, this.ks, prefix, onEvents, opts, { revision: () => this.revision(), callTimeoutMs: this.callTimeoutMs, watches: this.watches });
  }

  async revision(): Promise<number> {
    return revisionOf(await this.call('/v3/kv/range', { key: this.key('/'), count_only: true }));
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    return grantLeaseWithSafeId(ttlSeconds, async (id) => int((await this.call('/v3/lease/grant', { TTL: String(ttlSeconds), ID: String(id) })).ID, 'ID'));
  }

  async keepAlive(leaseId: number): Promise<number> {
    // A keep-alive stream of one renewal: the answer is `{"result": …}`, and etcd leaves TTL out when the lease is gone.
    const res = await this.call('/v3/lease/keepalive', { ID: String(leaseId) }, { leaseId });
    const ttl = int(object(res.result, 'result').TTL, 'TTL');
    return ttl > 0 ? ttl : -1;
  }

  async revokeLease(leaseId: number): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: String(leaseId) }, { leaseId });
  }

  async leaseTtl(leaseId: number): Promise<number> {
    const ttl = int((await this.call('/v3/lease/timetolive', { ID: String(leaseId) })).TTL, 'TTL');
    return ttl > 0 ? ttl : -1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watches.closeAll();
    this.http.close();
  }

  /** One store call, failing over between members until it succeeds or the call deadline passes. */
  private call(path: string, body: Json, ctx: { leaseId?: number } = {}): Promise<Json> {
    this.open();
    return withFailover(() => this.http.post(path, body), Date.now() + this.callTimeoutMs, ctx);
  }

  private key(key: string): string {
    return this.ks.key(key).toString('base64');
  }

  private prefixRange(prefix: string): Json {
    return toJson(this.ks.range(prefix)) as Json;
  }

  private deleted(res: Json): { revision: number; deleted: number } {
    return { revision: revisionOf(res), deleted: int(res.deleted, 'deleted') };
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
