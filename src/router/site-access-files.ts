// Per-site access lines in files, always on when RouterOptions.siteLogDir is given (the
// farm: <dir>/logs/router), apart from the --access-log JSON stream: one stamped text line
// per answered request of a known site, the router's own answers too (lib/stamped-line.ts) in <siteLogDir>/<site key>/<writer>.log, capped
// (the file becomes `.1` at maxBytes). Each router process writes its own file (`router`
// in process, `worker-<n>` for cluster workers), so no two processes share one; `corral
// logs <site>` reads them all. Lines are gathered and written once per event-loop turn.
// A file no line went to for IDLE_MS (up to twice that) is closed, and opened again (appending)
// by its site's next line: a worker that served 10,000 sites once held 10,000 descriptors.
// The router's own health checks go straight to the endpoints, never through here.
// A site's folder is its storage key (the route's siteId; its name for a site without one),
// never its name alone: a customer re-creating a deleted site's name, any customer, must not
// read the old site's lines. A line of a site no longer routed (a request that ended after
// its site was deleted) is dropped.

import { join } from 'node:path';
import { openCappedFile, type CappedFile } from '../lib/capped-file.ts';
import { stampLine } from '../lib/stamped-line.ts';
import type { Logger } from '../lib/log.ts';

export const SITE_LOG_MAX_BYTES = 5 * 1024 * 1024;
/** The sweep's period: a site's file with no line over a whole period closes, so 1–2 × IDLE_MS after its last line. */
export const IDLE_MS = 60_000;

export class SiteAccessFiles {
  readonly #dir: string;
  readonly #name: string;
  readonly #maxBytes: number;
  readonly #log: Logger;
  /** Site → its folder (route), for the sites routed now. */
  readonly #keys = new Map<string, string>();
  // each open file, and whether a line went to it since the last sweep
  readonly #files = new Map<string, { file: CappedFile; used: boolean }>();
  #pending = new Map<string, string[]>();
  #scheduled = false;
  #broken = false;
  readonly #sweeper: NodeJS.Timeout;

  constructor(dir: string, name: string, log: Logger, maxBytes = SITE_LOG_MAX_BYTES, idleMs = IDLE_MS) {
    this.#dir = dir;
    this.#name = name;
    this.#log = log;
    this.#maxBytes = maxBytes;
    this.#sweeper = setInterval(() => this.#closeIdle(), idleMs).unref();
  }

  /** The number of files open now. */
  get open(): number {
    return this.#files.size;
  }

  /** A site routed now, and its folder: the route's siteId, else its name. A site whose folder changed (re-created under the name) has its file closed. */
  route(r: { site: string; siteId?: string }): void {
    const key = r.siteId ?? r.site;
    const before = this.#keys.get(r.site);
    if (before === key) return;
    this.#keys.set(r.site, key);
    if (before === undefined) return;
    this.flush(); // the old site's last lines to the old folder
    const f = this.#files.get(r.site);
    f?.file.close();
    this.#files.delete(r.site);
  }

  write(site: string, text: string): void {
    if (this.#broken || !this.#keys.has(site)) return;
    let lines = this.#pending.get(site);
    if (!lines) this.#pending.set(site, (lines = []));
    lines.push(stampLine(text));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    const taken = this.#pending;
    this.#pending = new Map();
    try {
      for (const [site, lines] of taken) if (this.#keys.has(site)) this.#file(site).write(`${lines.join('\n')}\n`);
    } catch (err) {
      // a full disk must not take the router down: say it once, then stop writing
      this.#broken = true;
      this.#log.warn({ err, event: 'access-files.write-failed', dir: this.#dir }, 'per-site access lines can no longer be written');
    }
  }

  /** Close the files of sites no longer routed; their later lines are dropped. */
  retain(sites: ReadonlySet<string>): void {
    this.flush(); // the lines of this turn still go to their folders
    for (const site of this.#keys.keys()) if (!sites.has(site)) this.#keys.delete(site);
    for (const [site, f] of this.#files) {
      if (sites.has(site)) continue;
      f.file.close();
      this.#files.delete(site);
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.flush();
    for (const f of this.#files.values()) f.file.close();
    this.#files.clear();
  }

  #closeIdle(): void {
    for (const [site, f] of this.#files) {
      if (f.used) f.used = false;
      else {
        f.file.close();
        this.#files.delete(site);
      }
    }
  }

  #file(site: string): CappedFile {
    let f = this.#files.get(site);
    if (!f) this.#files.set(site, (f = { file: openCappedFile(join(this.#dir, this.#keys.get(site) ?? site, `${this.#name}.log`), this.#maxBytes), used: true }));
    f.used = true;
    return f.file;
  }
}
