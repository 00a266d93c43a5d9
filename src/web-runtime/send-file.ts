// Send one file: validators (304), Range (206/416), HEAD, a compressed body for a text
// file the client takes so, else a streamed one. The file is opened before any header is
// written, so a vanished file is still a clean 404. A compressed body is the site's own
// `<file>.br` or `<file>.gz` beside it when there is one (nginx's gzip_static: any size,
// compressed as hard as the customer likes, at build time), else compressed here
// (compressed.ts: 256 B–1 MiB). Each of these representations has an ETag of its own
// (release-etags.ts, validators.ts): the file's, a sibling's from its own bytes, or for one
// compressed here the file's marked with the coding (weak), so a cache never takes one for
// another. A request with a Range gets the file as it is (a 206, a 416, or the whole file when
// its If-Range no longer matches): ranges of compressed bodies are not served.

import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { codingFor, CompressedFiles, isCompressible, mayCompress } from './compressed.ts';
import Negotiator from 'negotiator';
import { cacheControlFor, contentTypeFor } from './content-type.ts';
import { notFoundOr } from './confine.ts';
import { parseRange } from './range.ts';
import { ReleaseEtags } from './release-etags.ts';
import { encodedEtag, ifRangeMatches, isNotModified, lastModifiedFor } from './validators.ts';

/** Each version of a text file compressed once per coding, for every site this runtime serves. */
const compressed = new CompressedFiles();
/** The ETags of the files of every release this runtime serves, read once per release. */
const etags = new ReleaseEtags();

/** The file to send: its real path inside the site's real root, and its name as asked for (for Cache-Control). */
export interface FileToSend {
  path: string;
  realRoot: string;
  name: string;
  /** Request headers the answer also depends on (a single-page app's fallback: Accept). */
  vary?: string;
}

/** Answer a GET/HEAD for a file with 200, 206, 304 or 416. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: FileToSend): Promise<void> {
  const { path: filePath, realRoot } = file;
  const fh = await open(filePath);
  try {
    const stats = await fh.stat();
    const contentType = contentTypeFor(filePath);
    const compressible = mayCompress(contentType, stats.size);
    const siblings = isCompressible(contentType) ? await compressedSiblings(filePath, stats.mtimeMs) : undefined;
    const fileEtag = await etags.etagFor(realRoot, filePath, stats);
    const range = parseRange(req.headers.range, stats.size);
    // the representation sent: the file as it is for a Range, else the coding the client takes
    const whole = range.kind === 'full' && req.headers['accept-encoding'] !== undefined;
    const sibling = whole && siblings !== undefined ? pickSibling(req, siblings) : undefined;
    const coding = whole && sibling === undefined && compressible ? codingFor(req) : undefined;
    const etag = sibling !== undefined ? await siblingEtag(realRoot, sibling) : coding !== undefined ? encodedEtag(fileEtag, coding) : fileEtag;
    res.setHeader('Cache-Control', cacheControlFor(file.name, contentType));
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', lastModifiedFor(stats.mtimeMs));
    const vary = [file.vary, compressible || siblings !== undefined ? 'Accept-Encoding' : undefined].filter((v) => v !== undefined).join(', ');
    if (vary !== '') res.setHeader('Vary', vary);
    if (isNotModified(req.headers, etag, stats.mtimeMs)) return void res.writeHead(304).end();
    res.setHeader('Accept-Ranges', 'bytes');
    const ranged = range.kind !== 'full' && ifRangeMatches(req.headers, fileEtag, stats.mtimeMs);
    if (ranged && range.kind === 'unsatisfiable') {
      return void res.writeHead(416, { 'Content-Range': `bytes */${stats.size}`, 'Content-Length': 0 }).end();
    }
    res.setHeader('Content-Type', contentType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (ranged && range.kind === 'partial') {
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${stats.size}`);
      return await streamBody(req, res, fh, 206, range.start, range.end);
    }
    if (sibling !== undefined) {
      const ready = await openSibling(sibling);
      if (ready !== undefined) {
        try {
          res.setHeader('Content-Encoding', sibling.coding);
          return await streamBody(req, res, ready.fh, 200, 0, ready.size - 1);
        } finally {
          await ready.fh.close().catch(() => undefined);
        }
      }
      res.setHeader('ETag', fileEtag); // it went (a release is never changed in place; a folder may be): the file as it is
    }
    if (coding !== undefined) {
      // a strong ETag names the bytes: the same file in another release is not compressed again
      const version = fileEtag.startsWith('W/') ? `${filePath}|${stats.size}|${stats.mtimeMs}` : fileEtag;
      const body = await compressed.get(fh, version, stats.size, coding);
      res.writeHead(200, { 'Content-Encoding': coding, 'Content-Length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    return await streamBody(req, res, fh, 200, 0, stats.size - 1);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Send a whole file with a given status and no validators (e.g. a site's 404.html). */
export async function sendPage(req: IncomingMessage, res: ServerResponse, filePath: string, status: number): Promise<void> {
  const fh = await open(filePath);
  try {
    const stats: Stats = await fh.stat();
    res.setHeader('Content-Type', contentTypeFor(filePath));
    res.setHeader('Cache-Control', 'no-cache');
    await streamBody(req, res, fh, status, 0, stats.size - 1);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

const SIBLINGS = [['br', '.br'], ['gzip', '.gz']] as const;

/** A site's own compressed version of a file, as lstat found it. */
interface Sibling {
  coding: string;
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * What was found beside each version of a file (path, mtime): a release is immutable, so
 * its text files' siblings are looked up once, not with two lstat calls per request. Bounded:
 * emptied when full.
 */
const siblingsSeen = new Map<string, Map<string, Sibling> | undefined>();
const MAX_SIBLINGS_SEEN = 10_000;

/** The site's own compressed versions of filePath (coding → sibling): regular files beside it, never a symlink; undefined: none. */
async function compressedSiblings(filePath: string, mtimeMs: number): Promise<Map<string, Sibling> | undefined> {
  const key = `${filePath}|${mtimeMs}`;
  if (siblingsSeen.has(key)) return siblingsSeen.get(key);
  let there: Map<string, Sibling> | undefined;
  for (const [coding, ext] of SIBLINGS) {
    const sibling = filePath + ext;
    const st = await fs.lstat(sibling).catch(() => undefined);
    if (st?.isFile()) (there ??= new Map()).set(coding, { coding, path: sibling, size: st.size, mtimeMs: st.mtimeMs });
  }
  if (siblingsSeen.size >= MAX_SIBLINGS_SEEN) siblingsSeen.clear();
  siblingsSeen.set(key, there);
  return there;
}

/** The compressed version the client takes (its preference among those there); undefined: none of them. */
function pickSibling(req: IncomingMessage, there: ReadonlyMap<string, Sibling>): Sibling | undefined {
  const picked = (new Negotiator(req) as unknown as { encoding(available: string[], opts?: { preferred?: string[] }): string | undefined }).encoding([...there.keys(), 'identity'], { preferred: ['br', 'gzip', 'identity'] });
  return picked === undefined ? undefined : there.get(picked);
}

/** A sibling's ETag: from its own bytes; a weak one (no digest) marked with its coding, so it never equals the file's. */
async function siblingEtag(realRoot: string, s: Sibling): Promise<string> {
  const etag = await etags.etagFor(realRoot, s.path, s);
  return etag.startsWith('W/') ? encodedEtag(etag, s.coding) : etag;
}

/** The sibling opened, never through a symlink (filePath is real, so a sibling's real path is its own: O_NOFOLLOW); undefined: gone. */
async function openSibling(s: Sibling): Promise<{ fh: fs.FileHandle; size: number } | undefined> {
  const fh = await fs.open(s.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch(() => undefined);
  if (fh === undefined) return undefined;
  const st = await fh.stat().catch(() => undefined);
  if (!st?.isFile()) {
    await fh.close().catch(() => undefined);
    return undefined;
  }
  return { fh, size: st.size };
}

async function open(filePath: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(filePath, 'r');
  } catch (err) {
    throw notFoundOr(err);
  }
}

/**
 * One buffer per response, read into again once the socket has taken what was written
 * from it. A read stream piped into the response allocates a new 64 KiB Buffer per read,
 * and the sent ones wait for V8's collector, which runs on external memory only every few
 * tens of MB: 25 slow downloads of a large file grew a runtime's anonymous memory by 45 MB
 * and a pool VS at its limit (64 MiB + 1 MiB a site) was OOM-killed, taking every site
 * of its customer down. Now a download holds CHUNK bytes, whatever the client's pace.
 */
const CHUNK = 64 * 1024;
/**
 * Read buffers given back once their answer is done, for the next: one allocation per
 * answer was garbage V8 collects only after tens of MB of it (its external memory limit),
 * and 1,000 answers a second of small files got a pool VS OOM-killed the same way. At most
 * as many as answers run at once (answer-slots.ts) are kept.
 */
const spare: Buffer[] = [];
const MAX_SPARE = 32;

async function streamBody(req: IncomingMessage, res: ServerResponse, fh: fs.FileHandle, status: number, start: number, end: number): Promise<void> {
  const length = Math.max(0, end - start + 1);
  res.writeHead(status, { 'Content-Length': length });
  if (req.method === 'HEAD' || length === 0) return void res.end();
  const buf = spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK); // its own memory, not a slice of node's shared pool
  let reusable = true;
  try {
    for (let at = start; at <= end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - at + 1), at);
      if (bytesRead === 0) throw new Error('the file is shorter than when it was opened');
      at += bytesRead;
      await written(res, bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
    res.end();
  } catch {
    // The client went away mid-body (or the file shrank): nothing left to answer; make sure the socket is gone.
    res.destroy();
    reusable = false; // a write may still hold it
  } finally {
    if (reusable && spare.length < MAX_SPARE) spare.push(buf);
  }
}

/** Resolves once the socket has taken chunk (its buffer may be reused); rejects if the response closes first. */
function written(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error('the response was closed'));
    const closed = (): void => reject(new Error('the response was closed'));
    res.once('close', closed);
    res.write(chunk, (err) => {
      res.off('close', closed);
      if (err) reject(err);
      else resolve();
    });
  });
}
