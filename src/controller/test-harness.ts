// Test helpers for the controller: a real SQLite store and blob store in a temp dir, the
// app built (not listening) and exercised with inject, cleanup registered as each
// resource is created.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { create as createTar } from 'tar';
import { silentLogger } from '../lib/log.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { ensureAdminToken } from './admin-token.ts';
import { openBlobStore } from './blob-store.ts';
import { buildController } from './build-controller.ts';
import type { BlobStore, ControllerOptions } from './options.ts';

export interface Harness {
  dir: string;
  store: Store;
  blobs: BlobStore;
  app: FastifyInstance;
  admin: Client;
  client(token: string | undefined): Client;
  /** Creates a customer; returns a client with its first token. */
  customer(name: string): Promise<Client>;
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Client {
  token: string | undefined;
  get(url: string): Promise<Reply>;
  post(url: string, body?: unknown): Promise<Reply>;
  patch(url: string, body: unknown): Promise<Reply>;
  delete(url: string): Promise<Reply>;
  upload(url: string, tarball: Buffer, contentType?: string): Promise<Reply>;
}

/** `wrapStore`: what the controller sees of the store (a test slowing reads to make requests interleave). */
export async function startController(t: TestContext, extra: Partial<ControllerOptions> = {}, wrapStore: (s: Store) => Store = (s) => s): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-controller-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const sqlite = await openSqliteStore(join(dir, 'store.db'));
  cleanups.push(() => sqlite.close());
  const store = wrapStore(sqlite);
  const blobs = await openBlobStore(join(dir, 'blobs'));
  const app = await buildController({ store, blobs, log: silentLogger, ...extra });
  cleanups.push(() => app.close());
  const { token } = await ensureAdminToken(store, dir);
  const client = (tok: string | undefined) => makeClient(app, tok);
  const admin = client(token);
  const customer = async (name: string) => {
    const res = await admin.post('/v1/customers', { name });
    if (res.status !== 201) throw new Error(`creating customer ${name}: ${res.status} ${res.body}`);
    return client(res.json.token as string);
  };
  return { dir, store, blobs, app, admin, client, customer };
}

function makeClient(app: FastifyInstance, token: string | undefined): Client {
  const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const send = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload }) });
    let json: unknown;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, body: res.body, headers: res.headers, json };
  };
  const withJson = (body: unknown) => [JSON.stringify(body), { 'content-type': 'application/json' }] as const;
  return {
    token,
    get: (url) => send('GET', url),
    post: (url, body = {}) => send('POST', url, ...withJson(body)),
    patch: (url, body) => send('PATCH', url, ...withJson(body)),
    delete: (url) => send('DELETE', url),
    upload: (url, tarball, contentType = 'application/gzip') => send('POST', url, tarball, { 'content-type': contentType }),
  };
}

/** A .tar.gz of the given files (paths relative to the archive root). */
export async function makeTarball(t: TestContext, files: Record<string, string>, opts: { preservePaths?: boolean } = {}): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-tarball-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  await mkdir(root);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), content);
  }
  const out = join(dir, 'release.tar.gz');
  await createTar({ gzip: true, file: out, cwd: root, portable: true, preservePaths: opts.preservePaths ?? false }, Object.keys(files));
  return readFile(out);
}

/** A static site body for POST /v1/sites. */
export function staticSite(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, domains: [`${name}.example.com`], kind: 'static', ...extra };
}

/** Counts the store's range reads from now on (store.range wrapped): in all, and by prefix. */
export function countRanges(store: Store): { count: number; byPrefix: Map<string, number> } {
  const counter = { count: 0, byPrefix: new Map<string, number>() };
  const range = store.range.bind(store);
  store.range = (...args: Parameters<Store['range']>) => {
    counter.count++;
    counter.byPrefix.set(args[0], (counter.byPrefix.get(args[0]) ?? 0) + 1);
    return range(...args);
  };
  return counter;
}
