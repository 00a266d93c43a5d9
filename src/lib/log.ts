// Structured JSON logs (pino) with a stable `part` key per component; a lifecycle step or
// a failure is named in the `event` key and said in `msg` (docs/architecture.md). Every logger writes
// to one sink, stdout unless a command routes it elsewhere (setLogSinks: `corral up`
// writes its JSON to <dir>/logs/corral.log and speaks to the terminal in plain lines).
import { pino, type Logger } from 'pino';

export type { Logger };

interface Sink {
  write(line: string): unknown;
}

let sinks: readonly Sink[] = [process.stdout];

const root = pino(
  {
    level: process.env.CORRAL_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  },
  { write: (line: string) => { for (const s of sinks) s.write(line); } },
);

/** A logger for one part of Corral, e.g. logger('router'). */
export function logger(part: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ part, ...bindings });
}

/** Where every logger's JSON lines go from now on (loggers made earlier included). */
export function setLogSinks(next: readonly Sink[]): void {
  sinks = [...next];
}

/** A logger that writes nothing, for tests and quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
