// The pool-add bench's stage split: one round's path (release active → first 200) found in
// the farm's JSON log lines, each stage the first matching line after the previous stage.
export interface LogLine {
  time: number;
  event?: string;
  [key: string]: unknown;
}

interface Stage {
  name: string;
  /** Does this line mark the stage, for this site? */
  match(line: LogLine, site: string): boolean;
}

const STAGE_LIST: Stage[] = [
  { name: 'controller: pass puts the pool assignment', match: (l) => l.event === 'reconcile.pass' && Array.isArray(l.created) && l.created.length > 0 },
  { name: 'engine: pool assignment changed (vs.pool_changed)', match: (l) => l.event === 'vs.pool_changed' },
  { name: 'engine: release linked, table written', match: (l) => l.event === 'vs.pool_table_written' },
  { name: 'web runtime: table loaded (table_loaded)', match: (l) => l.event === 'table_loaded' },
  { name: 'engine: load confirmed (vs.pool_table_loaded)', match: (l) => l.event === 'vs.pool_table_loaded' },
  { name: 'controller: pass puts the route', match: (l, site) => l.event === 'reconcile.pass' && Array.isArray(l.routes) && l.routes.some((r) => typeof r === 'string' && r.startsWith(`${site}:`) && !r.endsWith(':0')) },
  { name: 'router worker: routes updated', match: (l) => l.event === 'routes.updated' },
];

export const STAGES = [...STAGE_LIST.map((s) => s.name), 'client: first 200 through the router'];

/** JSON lines with a numeric `time` (a VS's log: after the engine's `<ISO time> ` stamp); other lines are skipped. */
export function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.slice(raw.indexOf('{'));
    if (!raw.includes('{')) continue;
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
 * last: first 200 at `to`. undefined where a stage's line was not found (the next one then
 * counts from the last found).
 */
export function stagesOf(sorted: readonly LogLine[], site: string, from: number, to: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let at = from;
  let i = sorted.findIndex((l) => l.time >= from);
  if (i < 0) i = sorted.length;
  for (const stage of STAGE_LIST) {
    let j = i;
    while (j < sorted.length && sorted[j]!.time <= to && !stage.match(sorted[j]!, site)) j++;
    if (j < sorted.length && sorted[j]!.time <= to) {
      out.push(sorted[j]!.time - at);
      at = sorted[j]!.time;
      i = j + 1;
    } else out.push(undefined);
  }
  out.push(to - at);
  return out;
}
