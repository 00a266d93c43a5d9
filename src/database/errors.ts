// The database service's failures (src/database): each with a stable code, an HTTP status and
// a message a user can act on.

import { CorralError } from '../lib/errors.ts';

export class DatabaseError extends CorralError {}

/** The PostgreSQL server binaries are not installed: one line saying how to get them. */
export class PostgresMissingError extends DatabaseError {
  constructor(binDir: string) {
    super('postgres_missing', 501, `PostgreSQL 15 is not installed (no initdb/postgres in ${binDir}): install it with \`apt-get install postgresql\` to offer databases; sites without databases keep working`);
  }
}

/** The server could not be set up or did not start. */
export class PostgresStartError extends DatabaseError {
  constructor(message: string, cause?: unknown) {
    super('postgres_start_failed', 503, message, { cause });
  }
}

/** pg_dump or pg_restore failed; `detail` is the tool's last lines. */
export class DumpToolError extends DatabaseError {
  constructor(tool: string, detail: string) {
    super('database_tool_failed', 500, `${tool} failed: ${detail}`);
  }
}
