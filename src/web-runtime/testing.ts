// Test helpers for the web runtime: temp site directories, a server on 127.0.0.1:0 (serving
// given sites, or a watched table file), and a raw HTTP client that sends the path exactly as
// given (no URL normalisation).

import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { listenOn } from '../lib/listen.ts';
import { silentLogger } from '../lib/log.ts';
import { extractTarball, packDirectory } from '../lib/tarball.ts';
import { watchTable, type TableWatch } from './table-watch.ts';
import { buildWebServer } from './web-server.ts';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** A temp directory filled with files (paths relative, parents created), removed after the test. */
export async function tempSiteDir(t: TestContext, files: Record<string, string | Buffer>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'corral-web-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  return dir;
}

/**
 * A release of these files as an engine unpacks it: packed as `corral deploy` packs a folder,
 * then extracted with its files' digests (`.corral/digests.json`); removed after the test.
 */
export async function tempRelease(t: TestContext, files: Record<string, string | Buffer>): Promise<string> {
  const src = await tempSiteDir(t, files);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'corral-release-'));
  t.after(() => fs.rm(work, { recursive: true, force: true }));
  const tarball = path.join(work, 'release.tar.gz');
  await packDirectory(src, tarball);
  const release = path.join(work, 'release');
  await extractTarball(tarball, release, undefined, { digests: true });
  return release;
}

/** Build and listen on 127.0.0.1:0; closed after the test. Returns the port. */
export async function startWebServer(t: TestContext, sites: { domains: string[]; root: string; spa?: boolean }[]): Promise<number> {
  return listen(t, buildWebServer({ sites }));
}

/** Table mode: the table file watched (fs.watch, and a poll every `pollMs`) and served with this status key on 127.0.0.1:0; both closed after the test. */
export async function startTableServer(t: TestContext, file: string, opts: { pollMs: number; statusKey: string }): Promise<{ table: TableWatch; server: http.Server; port: number }> {
  const table = await watchTable(file, { log: silentLogger, pollMs: opts.pollMs });
  t.after(() => table.close());
  const server = buildWebServer({ table, statusKey: opts.statusKey });
  return { table, server, port: await listen(t, server) };
}

/** One request sent as given (the path not normalised), the whole answer read. */
export function rawRequest(port: number, rawPath: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Listens on 127.0.0.1:0, closed (its connections too) after the test; returns the port. */
async function listen(t: TestContext, server: http.Server): Promise<number> {
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return listenOn(server, 0, '127.0.0.1');
}
