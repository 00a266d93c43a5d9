// corral db create|list|show|set|delete|credentials|rotate|backup|backups|restore
import type { Command } from 'commander';
import type { DatabaseBackup, DatabaseCredentials as Credentials, DatabaseView } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printColumns, type ListingOpts } from '../output.ts';
import { confirm } from '../confirm.ts';
import { wholeNumber } from './numbers.ts';


interface SettingOpts {
  connections?: string;
  quota?: string;
  backupEvery?: string;
  keep?: string;
  json?: boolean;
}

export function registerDb(program: Command, ctx: Context): void {
  const db = program.command('db').description("manage customers' PostgreSQL databases, backups and restores");
  const path = (name: string, rest = '') => `/v1/databases/${encodeURIComponent(name)}${rest}`;
  const settings = (c: Command) => c
    .option('--connections <n>', 'most connections at once, 1–100 (default 20)')
    .option('--quota <MiB>', 'size quota in MiB: above it the database is read-only until back under (default 1024)')
    .option('--backup-every <duration>', 'scheduled backups, e.g. 24h, 30m (at least 1m); default in set removes the schedule')
    .option('--keep <n>', 'scheduled backups kept, 1–100 (default 7)')
    .option('--json', 'print JSON');

  settings(db.command('create <name>'))
    .description('create a database with its own login and a generated password (printed once; `credentials` shows it again)')
    .option('--customer <customer>', 'admin: the customer it belongs to')
    .action(async (name: string, o: SettingOpts & { customer?: string }) => {
      const body = { name, ...(o.customer ? { customer: o.customer } : {}), ...settingsBody(o, false) };
      const res = await ctx.api().post<{ database: DatabaseView; credentials: Credentials }>('/v1/databases', body);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.say(`database ${name} created (PostgreSQL database ${res.database.pgDatabase}, user ${res.credentials.user})`);
      ctx.print.out(`password: ${res.credentials.password}`);
      ctx.say(`bind it to a site with: corral site set <site> --db ${name}`);
    });

  db.command('list')
    .description('list databases with their size, quota and backup schedule')
    .option('--json', 'print JSON')
    .action(async (o: ListingOpts) => {
      const res = await ctx.api().get<{ databases: DatabaseView[] }>('/v1/databases');
      printColumns(ctx, o, res, res.databases, [
        { header: 'DATABASE', value: (d) => d.name },
        { header: 'CUSTOMER', value: (d) => d.customer },
        { header: 'SIZE', value: (d) => (d.sizeBytes === undefined ? '-' : `${(d.sizeBytes / 2 ** 20).toFixed(1)} MiB`) },
        { header: 'QUOTA', value: (d) => `${d.quotaMb} MiB${d.readOnly ? ' (read-only)' : ''}` },
        { header: 'CONN', value: (d) => String(d.connectionLimit) },
        { header: 'BACKUPS', value: (d) => (d.backup ? `every ${duration(d.backup.everySeconds)}, keep ${d.backup.keep}` : '-') },
      ]);
    });

  settings(db.command('set <name>'))
    .description("change a database's connection limit, quota or backup schedule")
    .action(async (name: string, o: SettingOpts) => {
      const res = await ctx.api().patch<{ database: DatabaseView }>(path(name), settingsBody(o, true));
      ctx.print.out(o.json ? JSON.stringify(res, null, 2) : `database ${name} updated`);
    });

  db.command('delete <name>')
    .description('delete a database, its logins and its backups (refused while a site uses it)')
    .option('-y, --yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { yes?: boolean; json?: boolean }) => {
      if (!o.yes) {
        await ctx.api().get(path(name)); // one that is not there (or not this token's) is said before any question
        if (!(await confirm(ctx, `Delete database ${name} and its backups? This cannot be undone. [y/N] `))) throw new CliError('not deleted');
      }
      await ctx.api().delete(path(name));
      if (o.json) return ctx.print.out(JSON.stringify({ deleted: name }));
      ctx.say(`database ${name} deleted`);
    });

  db.command('credentials <name>')
    .description("the database's current login (owner and admin only)")
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().get<{ credentials: Credentials }>(path(name, '/credentials'));
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      const c = res.credentials;
      ctx.print.out(`database ${c.database}\nuser     ${c.user}\npassword ${c.password}`);
    });

  db.command('rotate <name>')
    .description('a new login and password; the sites using it roll onto it, then the old login is dropped')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().post<{ credentials: Credentials }>(path(name, '/rotate'));
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.say(`database ${name}: new user ${res.credentials.user}; sites using it roll onto it`);
      ctx.print.out(`password: ${res.credentials.password}`);
    });

  db.command('backup <name>')
    .description('back up the database now (pg_dump, custom format) into the farm\'s blob store')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const res = await ctx.api().post<{ backup: DatabaseBackup }>(path(name, '/backups'));
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(ctx.quiet() ? res.backup.id : `backup ${res.backup.id} (${res.backup.size} bytes in ${res.backup.durationMs} ms)`);
    });

  db.command('backups <name>')
    .description("list a database's backups, oldest first")
    .option('--json', 'print JSON')
    .action(async (name: string, o: ListingOpts) => {
      const res = await ctx.api().get<{ backups: DatabaseBackup[] }>(path(name, '/backups'));
      printColumns(ctx, o, res, res.backups, [
        { header: 'BACKUP', value: (b) => b.id },
        { header: 'KIND', value: (b) => b.kind },
        { header: 'SIZE', value: (b) => String(b.size) },
        { header: 'CREATED', value: (b) => b.createdAt },
      ]);
    });

  db.command('restore <name>')
    .description('restore a backup: into the database itself (its contents replaced) or --into a new database')
    .requiredOption('--backup <id>', 'the backup (corral db backups <name>)')
    .option('--into <new>', 'a new database of the same customer (with its own login, printed once)')
    .option('-y, --yes', 'restoring in place: do not ask')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { backup: string; into?: string; yes?: boolean; json?: boolean }) => {
      if (!o.into && !o.yes) {
        await ctx.api().get(path(name));
        if (!(await confirm(ctx, `Replace the contents of database ${name} with backup ${o.backup}? [y/N] `))) throw new CliError('not restored');
      }
      const res = await ctx.api().post<{ database: DatabaseView; credentials?: Credentials; durationMs: number }>(path(name, '/restore'), { backup: o.backup, ...(o.into ? { into: o.into } : {}) });
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.say(`backup ${o.backup} restored into ${res.database.name} in ${res.durationMs} ms`);
      if (res.credentials) ctx.print.out(`user ${res.credentials.user}\npassword: ${res.credentials.password}`);
    });
}

function settingsBody(o: SettingOpts, patch: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.connections !== undefined) body.connectionLimit = wholeNumber(o.connections, '--connections');
  if (o.quota !== undefined) body.quotaMb = wholeNumber(o.quota, '--quota');
  if (o.backupEvery === 'default' && patch) body.backup = null;
  else if (o.backupEvery !== undefined) body.backup = { everySeconds: seconds(o.backupEvery), keep: o.keep !== undefined ? wholeNumber(o.keep, '--keep') : 7 };
  else if (o.keep !== undefined) throw new CliError('--keep goes with --backup-every (the schedule is set whole)');
  return body;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "24h", "30m", "90s", "7d" → seconds. */
export function seconds(v: string): number {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m) throw new CliError(`--backup-every must be a duration such as 24h, 30m or 7d, got "${v}"`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function duration(s: number): string {
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (s % n === 0) return `${s / n}${u}`;
  return `${s}s`;
}
