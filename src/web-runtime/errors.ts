// The web runtime's failures. Each has a stable code (documented in README.md) and the
// HTTP status it maps to; `statusOf` in respond-error.ts is the one place that maps them.

import { CorralError } from '../lib/errors.ts';

export class WebRuntimeError extends CorralError {}

/** The process environment (PORT, CORRAL_WEB_SITES, CORRAL_WEB_ROOT…) is missing or malformed. */
export class WebConfigError extends WebRuntimeError {
  constructor(message: string) {
    super('WEB_CONFIG_INVALID', 500, message);
  }
}

/** Table mode: the site table file is unreadable or breaks a rule; it is refused and the old table kept. */
export class WebTableError extends WebRuntimeError {
  constructor(message: string) {
    super('WEB_TABLE_INVALID', 500, `Site table refused: ${message}`);
  }
}

/** The request target is not a valid path (bad percent-encoding, not origin-form). */
export class BadRequestPathError extends WebRuntimeError {
  constructor(message = 'The request path is malformed.') {
    super('WEB_BAD_PATH', 400, message);
  }
}

/** The path tries to leave the site root (.., NUL, a dotfile, a symlink pointing outside). Answered as 404. */
export class PathRefusedError extends WebRuntimeError {
  constructor(reason: string) {
    super('WEB_PATH_REFUSED', 404, `Path refused: ${reason}.`);
  }
}

/** No file at that path in the site. */
export class FileNotFoundError extends WebRuntimeError {
  constructor() {
    super('WEB_NOT_FOUND', 404, 'No such file in this site.');
  }
}

/** The Host header names no configured site. */
export class UnknownHostError extends WebRuntimeError {
  constructor(host: string) {
    super('WEB_UNKNOWN_HOST', 404, `No site is configured for host "${host}".`);
  }
}

/** Only GET and HEAD are served. */
export class MethodNotAllowedError extends WebRuntimeError {
  constructor(method: string) {
    super('WEB_METHOD_NOT_ALLOWED', 405, `Method ${method} is not allowed; use GET or HEAD.`);
  }
}

/** Every code above, for the docs test. */
export const WEB_ERROR_CODES = [
  'WEB_CONFIG_INVALID',
  'WEB_TABLE_INVALID',
  'WEB_BAD_PATH',
  'WEB_PATH_REFUSED',
  'WEB_NOT_FOUND',
  'WEB_UNKNOWN_HOST',
  'WEB_METHOD_NOT_ALLOWED',
] as const;
