// Request target → safe path segments. Decodes once, rejects NUL, resolves "." and ".."
// without ever climbing above the root, and refuses dotfiles other than .well-known.

import { BadRequestPathError, PathRefusedError } from './errors.ts';

export interface RequestPath {
  /** Normalised segments below the site root; [] is the root itself. */
  segments: string[];
  /** The path ended with "/" (a directory was asked for). */
  trailingSlash: boolean;
  /** The query string including "?", or "". */
  search: string;
}

export function parseRequestPath(target: string): RequestPath {
  const { rawPath, search } = splitTarget(target);
  const decoded = decodeOnce(rawPath);
  if (decoded.includes('\0')) throw new PathRefusedError('NUL byte');
  if (decoded.includes('\\')) throw new PathRefusedError('backslash');
  const segments = normalise(decoded.split('/'));
  const dotfile = segments.find((s) => s.startsWith('.') && s !== '.well-known');
  if (dotfile !== undefined) throw new PathRefusedError(`dotfile "${dotfile}"`);
  const last = decoded.split('/').at(-1);
  return { segments, trailingSlash: segments.length === 0 || last === '' || last === '.' || last === '..', search };
}

/** Encode segments back into a URL path, e.g. for a redirect Location. Never starts with "//". */
export function encodePath(segments: string[], trailingSlash: boolean): string {
  const p = '/' + segments.map(encodeURIComponent).join('/');
  return trailingSlash && segments.length > 0 ? p + '/' : p;
}

function splitTarget(target: string): { rawPath: string; search: string } {
  let t = target;
  if (!t.startsWith('/')) {
    // Absolute-form (proxies): keep only the path; anything else (e.g. "*") is not a file path.
    const m = /^https?:\/\/[^/?#]*(.*)$/i.exec(t);
    if (!m) throw new BadRequestPathError('The request target must be a path.');
    t = m[1] || '/';
  }
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q < 0 ? { rawPath: t, search: '' } : { rawPath: t.slice(0, q), search: t.slice(q) };
}

function decodeOnce(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw new BadRequestPathError('The request path has malformed percent-encoding.');
  }
}

function normalise(parts: string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new PathRefusedError('".." above the site root');
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}
