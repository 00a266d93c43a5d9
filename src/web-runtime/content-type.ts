// File name → Content-Type (with charset=utf-8 for text types) and Cache-Control.

import mime from 'mime-types';

const FALLBACK = 'application/octet-stream';
/** Revalidate HTML on every use, so a new release shows at once. */
export const HTML_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** Other assets may be reused for a while without asking. */
export const ASSET_CACHE_CONTROL = 'public, max-age=3600';

export function contentTypeFor(fileName: string): string {
  const type = mime.lookup(fileName);
  if (!type) return FALLBACK;
  const withCharset = mime.contentType(type) || type;
  // mime-types knows no charset for XML flavours (SVG, RSS…), which are text too.
  return withCharset === type && /[/+]xml$/.test(type) ? `${type}; charset=utf-8` : withCharset;
}

export function cacheControlFor(contentType: string): string {
  return contentType.startsWith('text/html') ? HTML_CACHE_CONTROL : ASSET_CACHE_CONTROL;
}
