// Table mode's live reload: load the table file at start, then re-read it when it changes
// (fs.watch on its directory, since the engine replaces it by rename, plus a stat poll as
// a backstop) and swap the served sites in one assignment. A table refused (malformed,
// a root outside the directory) is logged and the old one stays; a refused first table
// serves nothing until a good one arrives. whenVersion() lets GET /.corral/sites?min=N wait
// for the table the engine wrote instead of the engine polling for it.

import fs, { type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import { servedSites, type ServedSites } from './served-sites.ts';
import { loadTable, type SiteTable } from './table-file.ts';

export interface TableWatch {
  /** The sites served now: read once per request. */
  readonly current: ServedSites;
  /** Re-read the file now (also what a change triggers); resolves once applied or refused. */
  reload(): Promise<void>;
  /** Resolves once a table of version ≥ min is served, after waitMs, or on close(), whichever comes first. */
  whenVersion(min: number, waitMs: number): Promise<void>;
  /** Stop watching; waiters of whenVersion() are let go. */
  close(): void;
}

export interface TableWatchOptions {
  log: Logger;
  /** Stat poll interval (the backstop to fs.watch). Default 1000 ms. */
  pollMs?: number;
}

export async function watchTable(file: string, opts: TableWatchOptions): Promise<TableWatch> {
  const { log } = opts;
  const abs = path.resolve(file);
  let current: ServedSites = servedSites([], { strict: true });
  let running: Promise<void> | undefined;
  let again = false;
  let seen = '';
  let closed = false;
  const waiters = new Set<() => void>();

  async function apply(): Promise<void> {
    seen = fingerprint(abs);
    let table: SiteTable;
    try {
      table = await loadTable(abs);
    } catch (err) {
      log.warn({ event: 'table_refused', file: abs, err }, (err as Error).message);
      return;
    }
    if (closed) return;
    current = servedSites(table.sites, { strict: true, version: table.version, releases: Object.fromEntries(table.sites.map((s) => [s.site, s.release])), previous: current, log });
    log.info({ event: 'table_loaded', version: table.version, sites: table.sites.length }, 'site table loaded');
    for (const wake of waiters) wake();
  }

  // One reload at a time; changes during one coalesce into one more.
  function reload(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await apply();
      } while (again && !closed);
    })().finally(() => (running = undefined));
    return running;
  }

  await reload();
  let watcher: FSWatcher | undefined;
  try {
    watcher = fs.watch(path.dirname(abs), { persistent: false }, (_event, name) => {
      if (name === null || name === path.basename(abs)) void reload();
    });
    watcher.on('error', (err) => log.warn({ event: 'table_watch_failed', err }, 'watching the table failed; polling only'));
  } catch (err) {
    log.warn({ event: 'table_watch_failed', err }, 'cannot watch the table; polling only');
  }
  const poll = setInterval(() => {
    if (fingerprint(abs) !== seen) void reload();
  }, opts.pollMs ?? 1000);
  poll.unref();

  return {
    get current() {
      return current;
    },
    reload,
    whenVersion(min, waitMs) {
      if ((current.version ?? -Infinity) >= min || closed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const check = () => {
          if ((current.version ?? -Infinity) >= min || closed) done();
        };
        const timer = setTimeout(done, waitMs);
        waiters.add(check);
      });
    },
    close() {
      closed = true;
      for (const wake of waiters) wake();
      clearInterval(poll);
      watcher?.close();
    },
  };
}

/** Inode, size and mtime: what changes when the file is replaced or rewritten. */
function fingerprint(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}
