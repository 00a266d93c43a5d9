// Reading VS logs on this engine, for `corral logs` (in `corral up` the controller and
// the engine share a process and a directory). Each VS writes `<dir>/logs/<vs>.log`
// (rotated to `.log.1`) and, when it starts, `<vs>.meta.json` naming its site.

import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { enginePaths, logPath } from './paths.ts';
import { writeFileAtomic } from '../lib/atomic-file.ts';
import { followFile } from '../lib/log-follow.ts';
import { tailLines } from '../lib/log-tail.ts';

export interface VsLogInfo {
  vs: string;
  /** The site, when the engine recorded it. */
  site?: string;
  /** The site's id, when the engine recorded it (a site deleted and created again under its name has another). */
  siteId?: string;
  file: string;
  /** Size of the current file (not counting `.1`). */
  bytes: number;
  updatedAt: string;
}

export interface EngineLogs {
  /** The VS logs on this engine, optionally only a site's. */
  listVsLogs(site?: string): Promise<VsLogInfo[]>;
  /** The last `lines` lines of a VS's output (across one rotation); [] if it has none. */
  tail(vs: string, lines: number): Promise<string[]>;
  /** Each new line of a VS's output, until stop() is called (fromStart: the current file's lines first). Waits for a log that does not exist yet. */
  follow(vs: string, onLine: (line: string) => void, opts?: { fromStart?: boolean }): () => void;
}

export interface VsLogMeta {
  vs: string;
  site: string;
  /** The site's id (absent for a site without one); the disk janitor removes logs of sites gone from the store. */
  siteId?: string;
  customer: string;
  release: string;
}

export function createEngineLogs(dir: string, opts: { pollMs?: number } = {}): EngineLogs {
  const logsDir = enginePaths(dir).logs;
  return {
    async listVsLogs(site) {
      const names = await readdir(logsDir).catch(() => [] as string[]);
      const out: VsLogInfo[] = [];
      for (const name of names.filter((n) => n.endsWith('.log')).sort()) {
        const vs = name.slice(0, -'.log'.length);
        const meta = await readMeta(logsDir, vs);
        if (site !== undefined && meta?.site !== site) continue;
        const st = await stat(path.join(logsDir, name)).catch(() => undefined);
        if (!st) continue;
        out.push({ vs, ...(meta ? { site: meta.site } : {}), ...(meta?.siteId !== undefined ? { siteId: meta.siteId } : {}), file: path.join(logsDir, name), bytes: st.size, updatedAt: st.mtime.toISOString() });
      }
      return out;
    },
    async tail(vs, lines) {
      const file = logPath(dir, vs);
      const recent = await tailLines(file, lines);
      if (recent.length >= lines) return recent;
      return [...(await tailLines(`${file}.1`, lines - recent.length)), ...recent];
    },
    follow(vs, onLine, how = {}) {
      return followFile(logPath(dir, vs), onLine, { pollMs: opts.pollMs, ...(how.fromStart ? { fromStart: true } : {}) });
    },
  };
}

/** Record which site a VS's log belongs to (written atomically when the VS starts). */
export async function writeVsLogMeta(dir: string, meta: VsLogMeta): Promise<void> {
  const logsDir = enginePaths(dir).logs;
  await mkdir(logsDir, { recursive: true });
  // the guests' output is their customers' own: no other user of the host reads it (0700, an older folder too)
  await chmod(logsDir, 0o700);
  const file = path.join(logsDir, `${meta.vs}.meta.json`);
  await writeFileAtomic(file, JSON.stringify(meta));
}

async function readMeta(logsDir: string, vs: string): Promise<VsLogMeta | undefined> {
  try {
    return JSON.parse(await readFile(path.join(logsDir, `${vs}.meta.json`), 'utf8')) as VsLogMeta;
  } catch {
    return undefined;
  }
}
