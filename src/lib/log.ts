// Structured JSON logs (pino) with a stable `part` key per component.
import { pino, type Logger } from 'pino';

export type { Logger };

const root = pino({
  level: process.env.CORRAL_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
});

/** A logger for one part of Corral, e.g. logger('router'). */
export function logger(part: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ part, ...bindings });
}

/** A logger that writes nothing, for tests and quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
