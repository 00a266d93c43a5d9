// The store interface: shaped like etcd v3 so that SQLite (one machine) and etcd
// (many machines) are interchangeable. Everything else in Corral speaks only this.
// Keys and values are UTF-8 strings; values are JSON by convention (see keys.ts).

/** One key as stored, with etcd's revision bookkeeping. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the store when the key was created (since its last deletion). */
  createRevision: number;
  /** Revision of the store at the key's last modification. */
  modRevision: number;
  /** Number of modifications since creation (1 after the first put). */
  version: number;
  /** Lease the key is attached to, 0 for none. */
  lease: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Store revision at which the range was read. */
  revision: number;
}

export interface PutOptions {
  /** Attach the key to this lease: the key is deleted when the lease expires or is revoked. */
  lease?: number;
}

/** A condition of a transaction, compared against the key's current state.
 *  A missing key has modRevision 0, createRevision 0, version 0 and value undefined;
 *  as in etcd, a 'value' compare on a missing key is false whatever its op. */
export type Compare =
  | { key: string; target: 'mod' | 'create' | 'version'; op: '=' | '!=' | '<' | '>'; value: number }
  | { key: string; target: 'value'; op: '=' | '!='; value: string };

export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: number }
  | { type: 'delete'; key: string }
  | { type: 'deletePrefix'; prefix: string }
  | { type: 'get'; key: string };

export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** Store revision after the transaction (unchanged if it only read). */
  revision: number;
  /** For each 'get' op of the branch taken, in order: the key or undefined. */
  gets: (KeyValue | undefined)[];
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For 'put' the new state; for 'delete' the key with value '' and modRevision = the deleting revision. */
  kv: KeyValue;
  /** The state before this event, when known. */
  prevKv?: KeyValue;
}

export interface Watcher {
  /** Stop delivering events. Safe to call twice. */
  close(): void;
}

export interface WatchOptions {
  /** First revision to deliver (inclusive). Omit to start after the current revision. */
  fromRevision?: number;
  /** Called when the watch cannot continue (e.g. the requested revision was compacted). */
  onError?: (err: Error) => void;
}

export interface Store {
  /** 'sqlite' or 'etcd'. */
  readonly kind: string;
  get(key: string): Promise<KeyValue | undefined>;
  /** All keys starting with prefix, in key order. */
  range(prefix: string): Promise<RangeResult>;
  put(key: string, value: string, opts?: PutOptions): Promise<{ revision: number }>;
  delete(key: string): Promise<{ revision: number; deleted: number }>;
  deletePrefix(prefix: string): Promise<{ revision: number; deleted: number }>;
  /** Atomic compare-and-swap: all compares true → success ops, else failure ops. */
  txn(req: TxnRequest): Promise<TxnResult>;
  /** Events for keys under prefix, in revision order, each exactly once, batched per revision. */
  watch(prefix: string, onEvents: (events: WatchEvent[], revision: number) => void, opts?: WatchOptions): Promise<Watcher>;
  /** Current store revision. */
  revision(): Promise<number>;
  /** Create a lease that expires ttlSeconds after its last keep-alive. Returns its id (> 0). */
  grantLease(ttlSeconds: number): Promise<number>;
  /** Renew a lease; returns the remaining TTL in seconds, or -1 if it no longer exists. */
  keepAlive(leaseId: number): Promise<number>;
  /** Delete a lease and every key attached to it. */
  revokeLease(leaseId: number): Promise<void>;
  /** Remaining TTL in seconds, -1 if the lease does not exist. */
  leaseTtl(leaseId: number): Promise<number>;
  /** Release resources (timers, files, connections). Safe to call twice. */
  close(): Promise<void>;
}
