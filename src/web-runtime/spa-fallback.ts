// A single-page app's fallback (a site with `spa`): a request for a page that names no file
// gets the site's /index.html with 200, as Netlify, Vercel, Cloudflare Pages, Render and
// Caddy's `try_files {path} /index.html` offer, and the app's router shows the route. The rule:
//   - the path names no file (WEB_NOT_FOUND: nothing there, or a directory without index.html);
//     a refused path (a dotfile, `..` above the root, a symlink out) stays 404;
//   - its last segment has no extension (no "." after its first character): `/app.js`,
//     `/img/x.png` and `/user/jo.doe` stay 404, so a missing asset never gets HTML;
//   - it is not under /.well-known/ (machines ask there, never for a page);
//   - the client accepts HTML: no Accept header, or one text/html is acceptable in
//     (`*/*`, `text/*`); `Accept: application/json` stays 404.
// The answer is index.html as itself (its ETag and revalidation Cache-Control) with
// `Vary: Accept`, since the same path answers otherwise to a client that takes no HTML.

import type { IncomingMessage } from 'node:http';
import Negotiator from 'negotiator';
import { FileNotFoundError } from './errors.ts';
import type { RequestPath } from './request-path.ts';

/** What a fallback answer varies on, besides what the file itself does. */
export const SPA_VARY = 'Accept';

/** Whether this failure to find a file is answered with the site's /index.html (the rule above). */
export function takesSpaIndex(err: unknown, req: IncomingMessage, path: RequestPath): boolean {
  if (!(err instanceof FileNotFoundError)) return false;
  const last = path.segments.at(-1) ?? '';
  if (last.lastIndexOf('.') > 0) return false;
  if (path.segments[0] === '.well-known') return false;
  if (req.headers.accept === undefined) return true;
  return new Negotiator(req).mediaType(['text/html']) !== undefined;
}
