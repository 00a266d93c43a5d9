// Cache validators (RFC 9110 §8.8, §13): ETags — a strong one from a file's sha256, a weak one
// from its size and mtime where no digest describes the file, a weak one of its own for an
// answer compressed here — Last-Modified, and the conditional requests: If-None-Match /
// If-Modified-Since (304) and If-Range.

import type { IncomingHttpHeaders } from 'node:http';

export interface FileVersion {
  size: number;
  mtimeMs: number;
}

/** A strong ETag from a file's sha256 (hex): its first 128 bits in base64url, the same wherever those bytes are. */
export function contentEtag(sha256: string): string {
  return `"${Buffer.from(sha256.slice(0, 32), 'hex').toString('base64url')}"`;
}

/** The weak ETag of a file no digest describes, from its size and mtime (every unpack changes it). */
export function weakEtag(f: FileVersion): string {
  return `W/"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
}

/**
 * The ETag of an answer compressed here from a file whose ETag is `etag`: never the file's own
 * (a compressed representation is other bytes), and weak, since another zlib may compress the
 * same bytes to others (nginx weakens its ETag when it compresses; Apache appends "-gzip").
 */
export function encodedEtag(etag: string, coding: string): string {
  return `W/"${opaque(etag)}-${coding}"`;
}

export function lastModifiedFor(mtimeMs: number): string {
  return new Date(mtimeMs).toUTCString();
}

/**
 * True when the client's cached copy is current (RFC 9110 §13.1.2, §13.1.3): If-None-Match
 * against the answer's ETag (weak comparison), else If-Modified-Since against the file's mtime.
 */
export function isNotModified(headers: IncomingHttpHeaders, etag: string, mtimeMs: number): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) return matchesWeakly(inm, etag);
  const ims = headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // a date in the future is no date the server sent: ignored (RFC 7232 §3.3, as Apache does),
  // else a client's clock ahead, or a made-up date, would get 304s for every later change
  return !Number.isNaN(since) && since <= Date.now() && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * If-Range (RFC 9110 §13.1.5): the Range applies only if the validator still matches — an
 * entity tag by strong comparison (both strong and the same: a weak ETag never matches), or
 * exactly the Last-Modified date. `etag` is the ETag of the file as it is (ranges are of it).
 */
export function ifRangeMatches(headers: IncomingHttpHeaders, etag: string, mtimeMs: number): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag && !etag.startsWith('W/');
  return Date.parse(v) === Math.floor(mtimeMs / 1000) * 1000;
}

/** Our own ETag's opaque tag, without W/ and quotes. */
function opaque(etag: string): string {
  return etag.replace(/^W\//, '').slice(1, -1);
}

function matchesWeakly(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const quoted = (t: string): string => t.trim().replace(/^W\//, '');
  const mine = quoted(etag);
  return header.split(',').some((t) => quoted(t) === mine);
}
