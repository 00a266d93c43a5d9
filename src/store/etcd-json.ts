// etcd's JSON gateway shapes: requests built from the gRPC codec's (etcd-codec.ts, whose
// Buffers become base64 and whose enum names become etcd's proto names), and answers read
// back into the etcd3 client's types (IKeyValue, IEvent) with every field checked, so the
// codec and the watch delivery serve both stores. int64 fields are decimal strings; etcd
// leaves out fields at their zero value. A gateway answer that is not JSON or not etcd's
// shape is a StoreBadResponseError, never a crash. Only etcd3's types are imported.

import type { IEvent, IKeyValue } from 'etcd3';
import { StoreBadResponseError, StoreUnavailableError } from './errors.ts';

export type Json = { [key: string]: unknown };

/** etcd3's request shapes as gateway JSON: Buffer → base64, 'NotEqual' → 'NOT_EQUAL' (compare result and target). */
export function toJson(value: unknown, field = ''): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, k)]));
  }
  if ((field === 'result' || field === 'target') && typeof value === 'string') return value.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return value;
}

/** One answer body: a JSON object, or the error etcd put in it (HTTP status other than 200, or a stream's error line). */
export function readAnswer(status: number, text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not etcd's answer but a proxy's in front of a member that is gone or slow: the next member is asked
    if (status === 502 || status === 503 || status === 504) throw new StoreUnavailableError(`HTTP ${status}: ${excerpt(text)}`);
    throw new StoreBadResponseError(`HTTP ${status}, not JSON: ${excerpt(text)}`);
  }
  const answer = object(parsed, 'the answer');
  if (status !== 200 || (answer.error !== null && typeof answer.error === 'object')) throw gatewayError(status, answer);
  return answer;
}

/** The revision in an answer's header. */
export function revisionOf(answer: Json): number {
  const rev = int(object(answer.header, 'header').revision, 'header.revision');
  if (rev < 1) throw new StoreBadResponseError('header.revision missing');
  return rev;
}

/** The key-values of a range answer (none when etcd left the field out). */
export function kvsOf(answer: Json): IKeyValue[] {
  return list(answer.kvs, 'kvs').map((kv) => keyValue(kv));
}

function keyValue(value: unknown, what = 'kv'): IKeyValue {
  const kv = object(value, what);
  if (typeof kv.key !== 'string') throw new StoreBadResponseError(`${what}.key missing`);
  return {
    key: bytes(kv.key, `${what}.key`),
    value: bytes(kv.value, `${what}.value`),
    create_revision: String(int(kv.create_revision, `${what}.create_revision`)),
    mod_revision: String(int(kv.mod_revision, `${what}.mod_revision`)),
    version: String(int(kv.version, `${what}.version`)),
    lease: String(int(kv.lease, `${what}.lease`)),
  };
}

export interface WatchResult {
  created: boolean;
  canceled: boolean;
  cancelReason: string;
  compactRevision: number;
  events: IEvent[];
}

/** One line of a watch stream: `{"result": WatchResponse}` (an error line throws). */
export function watchResult(line: string): WatchResult {
  const res = object(readAnswer(200, line).result, 'result');
  return {
    created: res.created === true,
    canceled: res.canceled === true,
    cancelReason: typeof res.cancel_reason === 'string' ? res.cancel_reason : '',
    compactRevision: int(res.compact_revision, 'compact_revision'),
    events: list(res.events, 'events').map((e) => event(e)),
  };
}

/** An int64 field: a decimal string (or a number), 0 when left out. Beyond 2^53 it loses precision, as in the gRPC store. */
export function int(value: unknown, what: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' && /^-?\d{1,19}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new StoreBadResponseError(`${what} is not an integer: ${excerpt(JSON.stringify(value))}`);
  return n;
}

export function object(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new StoreBadResponseError(`${what} is not an object`);
  return value as Json;
}

function event(value: unknown): IEvent {
  const e = object(value, 'event');
  if (e.type !== undefined && e.type !== 'PUT' && e.type !== 'DELETE') throw new StoreBadResponseError(`event.type ${excerpt(String(e.type))} is neither PUT nor DELETE`);
  const kv = keyValue(e.kv, 'event.kv');
  if (Number(kv.mod_revision) < 1) throw new StoreBadResponseError('event.kv.mod_revision missing');
  const prev = e.prev_kv === undefined ? undefined : keyValue(e.prev_kv, 'event.prev_kv');
  // etcd3 types prev_kv as always there; the delivery reads it only when it is.
  return { type: e.type === 'DELETE' ? 'Delete' : 'Put', kv, prev_kv: prev as IKeyValue };
}

export function list(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new StoreBadResponseError(`${what} is not a list`);
  return value;
}

function bytes(value: unknown, what: string): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new StoreBadResponseError(`${what} is not base64`);
  }
  return Buffer.from(value, 'base64');
}

/** etcd's error answer as an Error: "unavailable" ones (no leader, timeouts) as StoreUnavailableError, so they fail over. */
function gatewayError(status: number, answer: Json): Error {
  const body = typeof answer.error === 'object' && answer.error !== null ? (answer.error as Json) : answer;
  const message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
  if (!message) throw new StoreBadResponseError(`HTTP ${status} without an error message: ${excerpt(JSON.stringify(answer))}`);
  const code = typeof body.code === 'number' ? body.code : body.grpc_code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || status === 503) return new StoreUnavailableError(message);
  return Object.assign(new Error(message), { name: 'EtcdError', grpcCode: code });
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
/** gRPC's CANCELLED: a member stopping cancels its streams. */
export const GRPC_CANCELLED = 1;

function excerpt(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
