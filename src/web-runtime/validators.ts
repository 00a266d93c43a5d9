// Cache validators: a weak ETag from size and mtime, Last-Modified, and the
// If-None-Match / If-Modified-Since check that turns a 200 into a 304.

import type { IncomingHttpHeaders } from 'node:http';

export interface FileVersion {
  size: number;
  mtimeMs: number;
}

export function etagFor(f: FileVersion): string {
  return `W/"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
}

export function lastModifiedFor(f: FileVersion): string {
  return new Date(f.mtimeMs).toUTCString();
}

/** True when the client's cached copy is current (RFC 9110 §13.1.2, §13.1.3). */
export function isNotModified(headers: IncomingHttpHeaders, f: FileVersion): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) return matchesWeakly(inm, etagFor(f));
  const ims = headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // a date in the future is no date the server sent: ignored (RFC 7232 §3.3, as Apache does),
  // else a client's clock ahead, or a made-up date, would get 304s for every later change
  return !Number.isNaN(since) && since <= Date.now() && Math.floor(f.mtimeMs / 1000) * 1000 <= since;
}

/** If-Range: the Range applies only if the validator still matches. Our ETags are weak, and
 * a weak ETag never matches If-Range, so only an exact Last-Modified date does. */
export function ifRangeMatches(headers: IncomingHttpHeaders, f: FileVersion): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return false;
  return Date.parse(v) === Math.floor(f.mtimeMs / 1000) * 1000;
}

function matchesWeakly(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const mine = opaque(etag);
  return header.split(',').some((t) => opaque(t) === mine);
}
