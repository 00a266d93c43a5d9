// Log lines that start with the time they were written, `2026-12-04T15:04:00.123Z text`
// (VS output as the engine captures it, the router's per-site access lines), so lines of
// several files can be merged in time order.

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

export interface StampedLine {
  /** ISO time; '' for a line written without one (sorts first). */
  time: string;
  text: string;
}

export function stampLine(text: string, at = new Date()): string {
  return `${at.toISOString()} ${text}`;
}

export function parseStamped(line: string): StampedLine {
  const m = STAMP.exec(line);
  return m ? { time: m[1]!, text: line.slice(m[0].length) } : { time: '', text: line };
}

/** The last `n` of these lines in time order (each parsed once; lines of the same time keep their order). */
export function lastByTime(lines: readonly string[], n: number): string[] {
  const timed = lines.map((line) => ({ line, time: STAMP.exec(line)?.[1] ?? '' }));
  timed.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return timed.slice(Math.max(0, timed.length - n)).map((t) => t.line);
}
