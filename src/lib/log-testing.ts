// A logger for tests that keeps every record it writes, to assert on named events (or on
// any field, through records()).
import { pino } from 'pino';
import type { Logger } from './log.ts';

export function captureLog(): { log: Logger; events: (name: string) => Array<Record<string, unknown>>; records: () => ReadonlyArray<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, events: (name) => records.filter((r) => r.event === name), records: () => records };
}
