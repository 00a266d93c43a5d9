// One line of `GET /v1/sites/:name/logs` (`<vs> | <output>`, or `router | <access line>`)
// taken apart for reading: a leading ISO time stamp is the line's time; a JSON line (pino's,
// or any object) gives its time, level, message and source, and the rest of its keys; a
// router access line (`GET host/path 404 …`) its path and a level from its status; any
// other line is its text, level unknown.

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export interface LogLine {
  raw: string;
  /** The VS (or `router`, `corral`) that wrote it. */
  vs: string;
  time?: Date;
  level?: Level;
  message: string;
  /** app (the default) or router (the router's prefix, or a `source` key). */
  source?: string;
  /** The other keys, in their order. */
  fields: [string, unknown][];
  /** A request path, when the line is about one (for telling health checks apart). */
  path?: string;
}

const TIME_KEYS = ['time', 'ts', 'timestamp', '@timestamp'];
const LEVEL_KEYS = ['level', 'severity', 'lvl'];
const MESSAGE_KEYS = ['msg', 'message'];
/** Keys that say nothing a reader needs. */
const NOISE = new Set(['pid', 'hostname', 'v']);
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;
/** `GET www.example.test/path?q 404 …`: method, host and path, status. */
const ACCESS = /^[A-Z]+ [^\s/]*(\/\S*)? (\d{3}) /;
const PINO_LEVELS: Record<number, Level> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export function parseLogLine(raw: string): LogLine {
  const bar = raw.indexOf(' | ');
  const vs = bar >= 0 ? raw.slice(0, bar) : '';
  let text = bar >= 0 ? raw.slice(bar + 3) : raw;
  const stamp = STAMP.exec(text);
  if (stamp) text = text.slice(stamp[0].length);
  const line: LogLine = { raw, vs, message: text, fields: [], ...(stamp ? { time: new Date(stamp[1]!) } : {}) };
  if (vs === 'router') line.source = 'router';
  const object = parseObject(text);
  if (!object) {
    const access = line.source === 'router' ? ACCESS.exec(text) : null;
    if (access) {
      line.path = (access[1] ?? '/').split('?')[0];
      const status = Number(access[2]);
      line.level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    }
    return line;
  }
  line.message = '';
  for (const [key, value] of Object.entries(object)) {
    if (TIME_KEYS.includes(key) && !stamp && line.time === undefined && toDate(value)) line.time = toDate(value);
    else if (LEVEL_KEYS.includes(key) && line.level === undefined && toLevel(value)) line.level = toLevel(value);
    else if (MESSAGE_KEYS.includes(key) && !line.message && typeof value === 'string') line.message = value;
    else if (key === 'source' && typeof value === 'string') line.source = value;
    else if (!NOISE.has(key)) line.fields.push([key, value]);
    if ((key === 'url' || key === 'path') && typeof value === 'string') line.path = value.split('?')[0];
  }
  return line;
}

/** Whether a line is at least `min` (a line of unknown level counts as info). */
export function atLeast(line: LogLine, min: Level | ''): boolean {
  return !min || LEVELS.indexOf(line.level ?? 'info') >= LEVELS.indexOf(min);
}

/** A field's value as short text: strings bare, the rest as JSON. */
export function showValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toDate(v: unknown): Date | undefined {
  const d = typeof v === 'number' ? new Date(v < 1e11 ? v * 1000 : v) : typeof v === 'string' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function toLevel(v: unknown): Level | undefined {
  if (typeof v === 'number') return PINO_LEVELS[v] ?? (v >= 60 ? 'fatal' : v >= 50 ? 'error' : v >= 40 ? 'warn' : v >= 30 ? 'info' : 'debug');
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  if (s === 'warning') return 'warn';
  if (s === 'critical' || s === 'panic') return 'fatal';
  return (LEVELS as readonly string[]).includes(s) ? (s as Level) : undefined;
}
