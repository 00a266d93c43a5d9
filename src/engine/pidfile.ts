// One pidfile per running VS under the runtime's runDir, so that the next engine
// start can find and kill what a crashed engine left behind. Written atomically
// (temp file, rename; no fsync: after a power loss there is nothing to reap).

import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.ts';

export interface PidRecord {
  pid: number;
  pgid: number;
  vs: string;
  startedAt: string;
}

const SUFFIX = '.pid.json';

export function pidfilePath(runDir: string, vs: string): string {
  return path.join(runDir, `${vs}${SUFFIX}`);
}

export async function writePidfile(runDir: string, rec: PidRecord): Promise<void> {
  const file = pidfilePath(runDir, rec.vs);
  // not fsynced: it only matters while this machine runs (a power loss leaves no orphans),
  // and the VS's start waits for it
  await writeFileAtomic(file, JSON.stringify(rec));
}

/** Remove the VS's pidfile, but only if it still names pid (a newer run may own it). */
export async function removePidfile(runDir: string, vs: string, pid: number): Promise<void> {
  const file = pidfilePath(runDir, vs);
  const rec = await readRecord(file);
  if (rec === undefined || rec === null || rec.pid === pid) await rm(file, { force: true });
}

/** Every pidfile in runDir: its path and record (null when unreadable or malformed). */
export async function listPidfiles(runDir: string): Promise<{ file: string; rec: PidRecord | null }[]> {
  let names: string[];
  try {
    names = await readdir(runDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: { file: string; rec: PidRecord | null }[] = [];
  for (const name of names.filter((n) => n.endsWith(SUFFIX))) {
    const file = path.join(runDir, name);
    const rec = await readRecord(file);
    if (rec !== undefined) out.push({ file, rec });
  }
  return out;
}

/** undefined: no such file; null: unreadable or not a pid record. */
async function readRecord(file: string): Promise<PidRecord | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  try {
    const v = JSON.parse(text) as Partial<PidRecord>;
    const ok = Number.isInteger(v.pid) && Number.isInteger(v.pgid) && typeof v.vs === 'string' && v.pid! > 1 && v.pgid! > 1;
    return ok ? (v as PidRecord) : null;
  } catch {
    return null;
  }
}
