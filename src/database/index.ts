export { createDbAdmin, type DbAdmin, type DbLogin } from './db-admin.ts';
export { DatabaseError, DumpToolError, PostgresMissingError, PostgresStartError } from './errors.ts';
export { ADMIN_ROLE, openPostgres, postgresBinDir, startPostgres, type DbServer, type PostgresOptions, type PostgresServer } from './postgres-server.ts';
