// End to end, as an operator: a farm whose site (the guestbook, examples/db-app) keeps its
// entries in a managed database. `corral backup` under a write loop; `corral restore` into a
// new folder; a fresh `corral up` there: every entry acknowledged before the backup is
// served through the router by the site bound to the restored database, the customer's
// login and password are the same, the database's own backups came along and restore, and
// the archive holds the database key (so it is as secret as the farm: with it, every
// sealed password opens). An archive without the key, or whose dumps list names a blob it
// does not hold, is refused with nothing left behind.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { ok, runCli, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { backupTrial, underLoad } from './helpers/backup-trial.ts';
import { get } from './helpers/http.ts';
import { rawTarGz, type RawEntry } from '../src/lib/tarball/test-archives.ts';
import { waitFor } from '../src/lib/wait.ts';
import { postgresMissing } from '../src/database/testing.ts';

const skip = postgresMissing();
const HOST = 'book.acme.test';
const PG_MODULES = ['pg', 'pg-pool', 'pg-protocol', 'pg-types', 'pg-connection-string', 'pg-int8', 'pgpass', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval', 'split2', 'xtend'];

interface Creds { database: string; user: string; password: string }

describe('farm backup and restore of a site on a database', { skip }, () => {
  const trial = backupTrial('corral-farm-backup-db-');
  let creds: Creds;
  /** Entry ids the API acknowledged before `corral backup` started. */
  const beforeBackup: string[] = [];
  let dbBackupId = '';

  before(async () => {
    const { farm, work } = trial;
    await chmod(work, 0o711); // the restored farm's PostgreSQL (user postgres) enters it, as corral up says
    const app = join(work, 'db-app');
    await cp(join(REPO, 'examples', 'db-app'), app, { recursive: true });
    const from = await realpath(join(REPO, 'node_modules'));
    for (const m of PG_MODULES) await cp(join(from, m), join(app, 'node_modules', m), { recursive: true });
    await ok(farm.cli(['customer', 'create', 'acme']));
    creds = (JSON.parse((await ok(farm.cli(['db', 'create', 'guestbook', '--customer', 'acme', '--json']))).stdout) as { credentials: Creds }).credentials;
    await ok(farm.cli(['site', 'create', 'book', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health', '--replicas', '2', '--domain', HOST]));
    await ok(farm.cli(['site', 'set', 'book', '--db', 'guestbook']));
    await ok(farm.cli(['deploy', app, '--site', 'book']));
  });
  it('backs up the farm while the site writes: a fresh dump of the database and its key', async () => {
    const { farm, work } = trial;
    for (let i = 0; i < 20; i++) beforeBackup.push(await post(farm, `early ${i}`));
    dbBackupId = (JSON.parse((await ok(farm.cli(['db', 'backup', 'guestbook', '--json']))).stdout) as { backup: { id: string } }).backup.id;
    for (let i = 20; i < 40; i++) beforeBackup.push(await post(farm, `before ${i}`));
    // writes go on during the backup: what was acknowledged before it must come back
    let during = 0;
    const write = async () => {
      await post(farm, `during ${during}`);
      during++;
    };
    const { stepsBefore } = await underLoad(write, () => during >= 5, () => ok(farm.cli(['backup', '--out', join(work, 'farm.tar.gz')])), 'the write loop');
    assert.ok(stepsBefore >= 5);

    const archive = gunzipSync(await readFile(join(work, 'farm.tar.gz')));
    const manifest = JSON.parse(lastEntry(archive)) as { parts: { path: string; kind: string }[] };
    assert.ok(manifest.parts.some((p) => p.path === 'files/database-key' && p.kind === 'file'), 'the database key');
    assert.ok(manifest.parts.some((p) => p.path === 'databases/dumps.json' && p.kind === 'database'), 'the dumps');
  });

  it('refuses an archive without the database key, or naming a dump it does not hold', async () => {
    const { work } = trial;
    const all = tarEntries(gunzipSync(await readFile(join(work, 'farm.tar.gz'))));
    const variant = async (name: string, change: (parts: { path: string; kind: string; sha256: string }[], entries: RawEntry[]) => RawEntry[]) => {
      const manifest = JSON.parse(String(all.at(-1)!.body)) as { parts: { path: string; kind: string; sha256: string; size: number }[] };
      const entries = change(manifest.parts, all.slice(0, -1));
      manifest.parts = manifest.parts.filter((p) => entries.some((e) => e.path === p.path));
      for (const p of manifest.parts) {
        const body = entries.find((e) => e.path === p.path)!.body as Buffer;
        p.size = body.length;
        p.sha256 = createHash('sha256').update(body).digest('hex');
      }
      await writeFile(join(work, name), rawTarGz([...entries, { path: 'manifest.json', body: JSON.stringify(manifest) }]));
      const r = await runCli(['restore', join(work, name), '--dir', join(work, `${name}.d`)]);
      assert.equal(r.code, 1, r.stdout);
      assert.deepEqual((await readdir(work)).filter((f) => f === `${name}.d`), [], 'nothing left behind');
      return r.stderr;
    };
    assert.match(await variant('nokey.tar.gz', (_, e) => e.filter((x) => x.path !== 'files/database-key')), /holds 1 database\(s\) but not the farm's database-key/);
    const dumpBlob = (_: unknown, e: RawEntry[]) => {
      const dumps = JSON.parse(String(e.find((x) => x.path === 'databases/dumps.json')!.body)) as { dumps: { sha256: string }[] };
      return e.filter((x) => x.path !== `blobs/${dumps.dumps[0]!.sha256}`);
    };
    assert.match(await variant('nodump.tar.gz', dumpBlob), /databases\/dumps\.json names a dump the archive does not hold/);
  });

  it('restores into a new folder: corral up serves every entry written before the backup, with the same login', async () => {
    const { restore: r, restored } = await trial.restoreFarm(join(trial.work, 'farm.tar.gz'));
    assert.match(r.stdout, /databases 1 restored with their logins: 1 from the dump taken at backup time/);

    const entries = await waitFor(async () => {
      const p = await get(restored.routerUrl, HOST, '/entries');
      return p.status === 200 && (JSON.parse(p.body) as { entries: { id: string }[] }).entries.map((e) => String(e.id));
    }, { timeoutMs: 60_000, what: 'the guestbook on the restored farm' });
    const missing = beforeBackup.filter((id) => !entries.includes(id));
    assert.deepEqual(missing, [], 'every entry acknowledged before the backup');
    // the site still writes, with the login it had
    const id = await post(restored, 'after the restore');
    assert.ok(Number(id) > Math.max(...beforeBackup.map(Number)), 'the sequence carried on');
    const now = (JSON.parse((await ok(restored.cli(['db', 'credentials', 'guestbook', '--json']))).stdout) as { credentials: Creds }).credentials;
    assert.deepEqual(now, creds, 'the same database, user and password');

    // the database's own backup came along: listed, and restorable into a new database
    const backups = (await ok(restored.cli(['db', 'backups', 'guestbook']))).stdout;
    assert.match(backups, new RegExp(dbBackupId));
    await ok(restored.cli(['db', 'restore', 'guestbook', '--backup', dbBackupId, '--into', 'guestbook-copy']));
    const copy = (JSON.parse((await ok(restored.cli(['db', 'list', '--json']))).stdout) as { databases: { name: string }[] }).databases.map((d) => d.name);
    assert.deepEqual(copy.sort(), ['guestbook', 'guestbook-copy']);
  });

  async function post(f: FarmProcess, text: string): Promise<string> {
    const res = await request(`${f.routerUrl}/entries`, { method: 'POST', headers: { host: HOST, 'content-type': 'text/plain' }, body: text });
    const body = await res.body.text();
    assert.equal(res.statusCode, 201, body);
    return String((JSON.parse(body) as { id: string }).id);
  }
});

/** The body of a tar's last file entry (the manifest). */
function lastEntry(tar: Buffer): string {
  return String(tarEntries(tar).at(-1)!.body);
}

/** The entries of a plain tar (ustar headers, as the backup writes them). */
function tarEntries(tar: Buffer): RawEntry[] {
  const out: RawEntry[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const field = (at: number, len: number) => tar.subarray(offset + at, offset + at + len).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim(), 8);
    const prefix = field(345, 155);
    out.push({ path: prefix ? `${prefix}/${field(0, 100)}` : field(0, 100), body: Buffer.from(tar.subarray(offset + 512, offset + 512 + size)) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
