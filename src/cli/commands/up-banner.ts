// Lines of `corral up`'s banner that depend on how the farm came up.

/** The database line: where PostgreSQL listens, and where this runtime's guests reach it. */
export function databaseLine(database: { port: number; osUser: string } | { unavailable: string }, runtime: string): string {
  if ('unavailable' in database) return `  database ${database.unavailable}`;
  // namespace guests have their own network: a forwarder on their bridge address, port
  // 5432; the process runtime's guests share the host's and connect to PostgreSQL itself
  const guests = runtime === 'namespace' ? 'guests reach it at their bridge address, port 5432' : `guests connect to it at 127.0.0.1:${database.port}`;
  return `  database PostgreSQL 127.0.0.1:${database.port}, as ${database.osUser} (started with the first database; ${guests})`;
}
