// File name → Content-Type (with charset=utf-8 for text types) and Cache-Control.

import mime from 'mime-types';
import { isFingerprinted } from './fingerprint.ts';

const FALLBACK = 'application/octet-stream';
/**
 * Every file but a fingerprinted asset, HTML and assets alike: browsers keep it but ask each
 * time (a 304, its ETag unchanged across deploys when its bytes are), so a deploy shows at once
 * and an old stylesheet is never used with a new page.
 */
export const REVALIDATE_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** A fingerprinted asset (fingerprint.ts): its name changes with its bytes, so it may be kept a year without asking. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export function contentTypeFor(fileName: string): string {
  const type = mime.lookup(fileName);
  if (!type) return FALLBACK;
  const withCharset = mime.contentType(type) || type;
  // mime-types knows no charset for XML flavours (SVG, RSS…), which are text too.
  return withCharset === type && /[/+]xml$/.test(type) ? `${type}; charset=utf-8` : withCharset;
}

/** name: the file name as asked for (fingerprint.ts); a page is never immutable, whatever its name. */
export function cacheControlFor(name: string, contentType: string): string {
  return !contentType.startsWith('text/html') && isFingerprinted(name) ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL;
}
