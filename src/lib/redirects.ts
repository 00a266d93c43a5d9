// A static site's `_redirects` file (Netlify's format, the part of it that redirects): one
// rule a line, `from to [status]`, read from the release's root. The controller checks it when
// a release is uploaded (a bad line refuses the release, naming the line), the web runtime
// reads it once per release and answers a matching GET/HEAD with the redirect.
//
//   # comments and blank lines are skipped
//   /old            /new                      (301 by default)
//   /docs/*         /manual/:splat    302     (`/*` at the end: that path and all below it)
//   /shop           https://shop.example.com  308
//
// - from: a path (`/…`), exact — a trailing slash aside — or ending in `/*`; decoded once and
//   normalised as requests are; no query, no placeholders (`:slug`), no dotfile.
// - to: a path within the site (`/…`, never `//…` or a backslash, which browsers read as
//   another host) or an absolute http(s) URL; `:splat` (only with a `/*` from) is the rest of
//   the request's path. A request's query string is passed on when `to` has none.
// - status: 301 (default), 302, 307 or 308, with or without Netlify's `!` (a rule always
//   applies before any file). Rewrites (200) and other statuses are refused.
// - the first matching rule in the file wins; at most MAX_REDIRECT_RULES rules, lines of at
//   most MAX_REDIRECT_LINE_BYTES, files of at most MAX_REDIRECTS_BYTES; no control characters.

import { CorralError } from './errors.ts';

/** The file's name at a release's root. */
export const REDIRECTS_FILE = '_redirects';
export const MAX_REDIRECT_RULES = 1_000;
export const MAX_REDIRECT_LINE_BYTES = 1_024;
export const MAX_REDIRECTS_BYTES = 1024 * 1024;

export type RedirectStatus = 301 | 302 | 307 | 308;

/** One rule as parsed. */
export interface RedirectRule {
  /** `from`'s decoded path segments (without the `*`). */
  readonly from: readonly string[];
  /** `from` ends in `/*`: it matches that path and every path below it. */
  readonly splat: boolean;
  /** The target as written, any non-ASCII character percent-encoded. */
  readonly to: string;
  readonly status: RedirectStatus;
  /** Its line in the file (1-based). */
  readonly line: number;
}

/** A request that matched a rule: the status and the Location to answer with. */
export interface RedirectAnswer {
  status: RedirectStatus;
  location: string;
}

/** Why a `_redirects` file is refused: the line and what is wrong with it. */
export class RedirectsError extends CorralError {
  constructor(message: string, readonly line?: number) {
    super('redirects_invalid', 400, `${REDIRECTS_FILE}${line === undefined ? '' : ` line ${line}`}: ${message}`);
  }
}

/** A site's rules, looked up per request: an exact path in one Map lookup, `/*` rules in file order. */
export class RedirectRules {
  readonly #exact = new Map<string, RedirectRule>();
  readonly #splats: RedirectRule[] = [];
  readonly size: number;

  constructor(rules: readonly RedirectRule[]) {
    for (const r of rules) {
      if (r.splat) this.#splats.push(r);
      else if (!this.#exact.has(key(r.from))) this.#exact.set(key(r.from), r);
    }
    this.size = rules.length;
  }

  /** The redirect for a request path (decoded, normalised segments; its query string with `?`, or ""), if a rule matches. */
  match(segments: readonly string[], trailingSlash: boolean, search: string): RedirectAnswer | undefined {
    const exact = this.#exact.get(key(segments));
    const splat = this.#splats.find((r) => r.line < (exact?.line ?? Infinity) && r.from.every((s, i) => segments[i] === s));
    const rule = splat ?? exact;
    if (rule === undefined) return undefined;
    const rest = segments.slice(rule.from.length);
    const splatText = rest.map(encodeURIComponent).join('/') + (trailingSlash && rest.length > 0 ? '/' : '');
    return { status: rule.status, location: withSearch(rule.to.replaceAll(':splat', splatText), search) };
  }
}

/** Parse and check a `_redirects` file; throws RedirectsError naming the first bad line. */
export function parseRedirects(text: string): RedirectRules {
  if (Buffer.byteLength(text) > MAX_REDIRECTS_BYTES) throw new RedirectsError(`the file is larger than ${MAX_REDIRECTS_BYTES / 1024} KiB`);
  const rules: RedirectRule[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n'); // a byte order mark some editors write is not part of line 1
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (Buffer.byteLength(content) > MAX_REDIRECT_LINE_BYTES) throw new RedirectsError(`longer than ${MAX_REDIRECT_LINE_BYTES} bytes`, line);
    // eslint-disable-next-line no-control-regex -- a rule is one line of text: tabs separate fields, nothing else
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(content)) throw new RedirectsError('a control character (CR, NUL …) is not allowed', line);
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (rules.length === MAX_REDIRECT_RULES) throw new RedirectsError(`more than ${MAX_REDIRECT_RULES} rules`, line);
    rules.push(parseRule(trimmed.split(/[ \t]+/), line));
  }
  return new RedirectRules(rules);
}

function parseRule(fields: string[], line: number): RedirectRule {
  if (fields.length < 2 || fields.length > 3) {
    throw new RedirectsError(`expected "from to [status]", got ${fields.length} field${fields.length === 1 ? '' : 's'} (conditions, query matches and headers are not supported)`, line);
  }
  const [rawFrom, rawTo, rawStatus] = fields as [string, string, string | undefined];
  const { from, splat } = parseFrom(rawFrom, line);
  const to = parseTo(rawTo, line);
  if (to.includes(':splat') && !splat) throw new RedirectsError(`"to" uses :splat, but "from" does not end in /*`, line);
  return { from, splat, to, status: parseStatus(rawStatus, line), line };
}

function parseFrom(raw: string, line: number): { from: string[]; splat: boolean } {
  if (!raw.startsWith('/')) throw new RedirectsError(`"from" must be a path starting with /, got ${shown(raw)}`, line);
  if (/[?#]/.test(raw)) throw new RedirectsError(`"from" must be a path alone: query and fragment matches are not supported (${shown(raw)})`, line);
  const splat = raw === '/*' || raw.endsWith('/*');
  const path = splat ? raw.slice(0, -1) : raw;
  if (path.includes('*')) throw new RedirectsError(`"from" may have * only as its last segment (/*), got ${shown(raw)}`, line);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new RedirectsError(`"from" has malformed percent-encoding: ${shown(raw)}`, line);
  }
  if (decoded.includes('\\') || decoded.includes('\0')) throw new RedirectsError(`"from" may not hold a backslash or NUL: ${shown(raw)}`, line);
  const from = decoded.split('/').filter((s) => s !== '');
  for (const s of from) {
    if (s === '.' || s === '..') throw new RedirectsError(`"from" must be a normalised path, without . or .. segments: ${shown(raw)}`, line);
    if (s.startsWith(':')) throw new RedirectsError(`placeholders such as ${shown(s)} are not supported: end "from" with /* and use :splat in "to"`, line);
    if (s.startsWith('.') && s !== '.well-known') throw new RedirectsError(`"from" names a dotfile (${shown(s)}), which is never served nor redirected`, line);
  }
  return { from, splat };
}

function parseTo(raw: string, line: number): string {
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RedirectsError(`"to" is not a valid URL: ${shown(raw)}`, line);
    }
    if (url.hostname === '') throw new RedirectsError(`"to" has no host: ${shown(raw)}`, line);
    // a user name or password in "to" is refused: with :splat in it, the request would choose the host a browser goes to
    if (url.username !== '' || url.password !== '') throw new RedirectsError(`"to" may not carry a user name or password: ${shown(raw)}`, line);
    return url.href;
  }
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) {
    throw new RedirectsError(`"to" must be a path in the site (/…, not //… and no backslash) or an absolute http(s) URL, got ${shown(raw)}`, line);
  }
  try {
    return raw.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  } catch {
    throw new RedirectsError(`"to" is not valid text: ${shown(raw)}`, line);
  }
}

function parseStatus(raw: string | undefined, line: number): RedirectStatus {
  if (raw === undefined) return 301;
  const m = /^(\d{3})!?$/.exec(raw);
  const status = m ? Number(m[1]) : NaN;
  if (status === 301 || status === 302 || status === 307 || status === 308) return status;
  if (status === 200) throw new RedirectsError('status 200 (a rewrite) is not supported, only redirects (301, 302, 307, 308); a single-page app\'s fallback to /index.html is the site\'s spa setting (corral site set <site> --spa)', line);
  throw new RedirectsError(`the status must be 301, 302, 307 or 308, got ${shown(raw)}`, line);
}

/** A path's segments as a Map key (segments never hold "/"). */
function key(segments: readonly string[]): string {
  return segments.join('/');
}

/** The request's query string added to a target that has none (before any fragment). */
function withSearch(target: string, search: string): string {
  if (search === '' || target.includes('?')) return target;
  const hash = target.indexOf('#');
  return hash < 0 ? target + search : target.slice(0, hash) + search + target.slice(hash);
}

/** A value for a message: quoted, cut when long. */
function shown(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}
