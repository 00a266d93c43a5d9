// Tests only: peers on loopback that send or take a release blob at a set pace (a slow but
// steady link, a stall, a trickle), and the small transfer limits the blob tests run under,
// so a transfer of a few seconds outlasts every bound but the rate floor.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferLimits } from '../lib/transfer-guard.ts';
import { keys } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';

/** Limits of a second: a transfer of 3 s is three times any one of them. */
export const QUICK_LIMITS: TransferLimits = { firstByteMs: 1000, idleMs: 1000, windowMs: 1000, minBytesPerSec: 16 * 1024 };
/** The limits of the stall tests: the rate floor's window (and its grace) far past the 1 s idle bound, so a stall is cut as one, never first as "too slow". */
export const STALL_LIMITS: TransferLimits = { ...QUICK_LIMITS, windowMs: 10_000 };
/**
 * The limits of the tests where a steady transfer must arrive: 2 s each, so a test process
 * starved of CPU for a moment on a loaded machine is not read as a stall; such a transfer
 * runs more than twice them (and would fail a fixed total of a few seconds).
 */
export const STEADY_LIMITS: TransferLimits = { firstByteMs: 2000, idleMs: 2000, windowMs: 2000, minBytesPerSec: 16 * 1024 };

/** A blob of n bytes (not all alike) and its sha256. */
export function blobOf(n: number): { body: Buffer; sha: string } {
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = (i * 7919) % 251;
  return { body, sha: createHash('sha256').update(body).digest('hex') };
}

/** A test folder and a SQLite store in it naming one peer controller, c2 at url (this controller is c1). */
export async function storeWithPeer(t: TestContext, url: string): Promise<{ dir: string; store: Store }> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-blob-peer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  await store.put(keys.controller('c2'), JSON.stringify({ id: 'c2', url }));
  return { dir, store };
}

/** An HTTP server on 127.0.0.1, port 0, closed (its connections cut) when the test ends; its URL. */
export async function servePeer(t: TestContext, handler: RequestListener): Promise<string> {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

export interface Pace {
  /** Bytes per write. */
  chunk: number;
  everyMs: number;
  /** Stop writing after this many bytes, leaving the answer open (a stall). */
  stopAfter?: number;
}

/** Answer 200 with body (its full length announced), written at the pace; ends it unless told to stop. */
export async function sendPaced(res: ServerResponse, body: Buffer, pace: Pace): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
  const last = Math.min(body.length, pace.stopAfter ?? body.length);
  for (let at = 0; at < last && !res.destroyed; at += pace.chunk) {
    res.write(body.subarray(at, Math.min(at + pace.chunk, last)));
    await sleep(pace.everyMs);
  }
  if (pace.stopAfter === undefined) res.end();
}

/** The request's body, read at about bytesPerSec (paused after each chunk for as long as it is worth). */
export async function takePaced(req: IncomingMessage, bytesPerSec: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    await sleep((chunk.length * 1000) / bytesPerSec);
  }
  return Buffer.concat(chunks);
}
