// The reader of a router's per-site access lines (<dir>/logs/router/<site id>/<process>.log,
// written by src/router/site-access-files.ts): every router process's file of the site,
// merged by time, and followed — a file that appears later (a worker started again)
// included. `corral up`'s controller reads its router's folder with it; a router node
// (`corral router`) serves its own through its API (router-api.ts). It loads no controller
// or engine code (the router node's imports: router-node-imports.test.ts).

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RouterLogs } from '../controller/index.ts';
import { followFile } from '../lib/log-follow.ts';
import { tailLines } from '../lib/log-tail.ts';
import { lastByTime } from '../lib/stamped-line.ts';

const RESCAN_MS = 1_000;

export function createRouterLogs(dir: string, opts: { pollMs?: number } = {}): RouterLogs {
  const files = async (site: string) => (await readdir(join(dir, site)).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).map((f) => join(dir, site, f));
  return {
    async tail(site, lines) {
      const all: string[] = [];
      for (const file of await files(site)) {
        const recent = await tailLines(file, lines);
        all.push(...(recent.length < lines ? await tailLines(`${file}.1`, lines - recent.length) : []), ...recent);
      }
      return lastByTime(all, lines);
    },
    follow(site, onLine) {
      const stops = new Map<string, () => void>();
      let first = true;
      let stopped = false;
      const scan = async () => {
        for (const file of await files(site)) {
          if (stopped) return;
          // files there at the start: from their end; files that appear later: from their start
          if (!stops.has(file)) stops.set(file, followFile(file, onLine, { ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}), fromStart: !first }));
        }
        first = false;
      };
      const started = scan();
      const timer = setInterval(() => void started.then(scan).catch(() => {}), RESCAN_MS);
      return () => {
        stopped = true;
        clearInterval(timer);
        for (const stop of stops.values()) stop();
      };
    },
  };
}
