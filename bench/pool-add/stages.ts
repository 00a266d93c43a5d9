// The pool-add bench's stage split: one round's path (release active → first 200) found in
// the farm's JSON log lines, each stage the first matching line after the previous stage.

import { parseStamped } from '../../src/lib/stamped-line.ts';

export interface LogLine {
  time: number;
  event?: string;
  [key: string]: unknown;
}

interface Stage {
  name: string;
  /** Does this line mark the stage, for this site (prev: the previous stage's line, if found)? */
  match(line: LogLine, site: string, prev?: LogLine): boolean;
  /** Lines of another process may be stamped this much before the previous stage's own line. */
  slackMs?: number;
  /** When the stage was reached, if not the line's time. */
  at?(line: LogLine): number;
}

/** A pass logs once its writes are done: it began `ms` before (the next part may log before it). */
const passBegan = (l: LogLine) => l.time - (typeof l.ms === 'number' ? l.ms : 0);

const STAGE_LIST: Stage[] = [
  { name: 'controller: pass for the pool assignment begins', match: (l) => l.event === 'reconcile.pass' && Array.isArray(l.created) && l.created.length > 0, at: passBegan },
  { name: 'engine: pool assignment changed (vs.pool_changed)', match: (l) => l.event === 'vs.pool_changed' },
  { name: 'engine: release linked, table written', match: (l) => l.event === 'vs.pool_table_written' },
  // the runtime may load the table (fs.watch) before the engine has logged writing it
  { name: 'web runtime: table loaded (table_loaded)', match: (l, _s, prev) => l.event === 'table_loaded' && (prev?.version === undefined || l.version === prev.version), slackMs: 20 },
  { name: 'engine: load confirmed (vs.pool_table_loaded)', match: (l) => l.event === 'vs.pool_table_loaded' },
  { name: 'controller: pass for the route begins', match: (l, site) => l.event === 'reconcile.pass' && Array.isArray(l.routes) && l.routes.some((r) => typeof r === 'string' && r.startsWith(`${site}:`) && !r.endsWith(':0')), at: passBegan },
  { name: 'router worker: routes updated (the first worker)', match: (l) => l.event === 'routes.updated' },
];

export const STAGES = [...STAGE_LIST.map((s) => s.name), 'client: first 200 through the router'];

/** JSON lines with a numeric `time` (a VS's log: after the engine's `<ISO time> ` stamp); other lines are skipped. */
export function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const line = parseStamped(raw).text;
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as LogLine;
      if (typeof v.time === 'number') out.push(v);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/**
 * Per stage, ms since the previous one (the first: since `from`, the release active), the
 * last: first 200 at `to`. A stage is the first matching line at or after the previous
 * stage's time (lines sorted by time), undefined where none was found before `to` (the
 * next one then counts from the last found).
 */
export function stagesOf(sorted: readonly LogLine[], site: string, from: number, to: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let at = from;
  let prev: LogLine | undefined;
  for (const stage of STAGE_LIST) {
    const line = sorted.find((l) => l.time >= at - (stage.slackMs ?? 0) && l.time <= to && stage.match(l, site, prev));
    if (!line) {
      out.push(undefined);
      continue;
    }
    const reached = Math.max(at, stage.at ? stage.at(line) : line.time);
    out.push(reached - at);
    at = reached;
    prev = line;
  }
  out.push(to - at);
  return out;
}

/** The engine's own split of its link stage (`vs.pool_table_written`: linkMs, tableMs), per round. */
export function linkSplit(sorted: readonly LogLine[], from: number, to: number): { linkMs: number; tableMs: number } | undefined {
  const l = sorted.find((x) => x.time >= from && x.time <= to && x.event === 'vs.pool_table_written' && typeof x.linkMs === 'number');
  return l ? { linkMs: l.linkMs as number, tableMs: l.tableMs as number } : undefined;
}
