// `corral up` refuses, in one line naming the flag and before anything starts, two
// listeners on the same port and a state folder it cannot write in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run } from '../main.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

async function up(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['up', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('corral up refuses the same nonzero port for two listeners, naming both flags; 0 (any port) may repeat', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'corral-up-ports-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const dir = join(work, 'farm');
  const cases: [string[], string][] = [
    [['--http-port', '9000', '--https-port', '9000'], '--http-port and --https-port are both 9000'],
    [['--http-port', '9000', '--api-port', '9000'], '--http-port and --api-port are both 9000'],
    [['--https-port', '9001', '--api-port', '9001'], '--https-port and --api-port are both 9001'],
    // against a default: --https-port is 8443 unless given
    [['--http-port', '8443'], '--http-port and --https-port are both 8443'],
  ];
  for (const [flags, said] of cases) {
    // --runtime bogus (checked after the ports): were the ports let through, the run still stops there
    const r = await up('--dir', dir, ...flags, '--runtime', 'bogus');
    assert.equal(r.code, 1, flags.join(' '));
    assert.deepEqual(r.err, [`error: ${said}: give each listener its own port (or 0 for any)`], flags.join(' '));
    assert.deepEqual(r.out, [], 'nothing started');
  }
  const any = await up('--dir', dir, '--http-port', '0', '--https-port', '0', '--api-port', '0', '--runtime', 'bogus');
  assert.deepEqual(any.err, ['error: --runtime must be auto, process or namespace, got "bogus"'], 'port 0 thrice is accepted');
  assert.equal(existsSync(dir), false, 'no state folder was made');
});

test('corral up refuses a --dir it cannot make, in one line naming the flag', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'corral-up-dir-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  await writeFile(join(work, 'file'), '');
  const dir = join(work, 'file', 'farm'); // under a file: no folder can be made there
  const r = await up('--dir', dir, '--http-port', '0', '--https-port', '0', '--api-port', '0');
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, [`error: --dir ${dir} is not a folder this user can write in (ENOTDIR): choose another, or give this user write access to it`]);
  assert.deepEqual(r.out, []);
});

test('corral up refuses a read-only --dir that exists, in one line naming the flag', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'corral-up-ro-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const dir = join(work, 'farm');
  await mkdir(dir);
  await chmod(work, 0o755); // nobody may reach it
  await chmod(dir, 0o555);
  const args = ['up', '--dir', dir, '--http-port', '0', '--https-port', '0', '--api-port', '0'];
  let r: { code: number; err: string[] };
  if (process.getuid?.() !== 0) r = await up(...args.slice(1));
  else {
    // root writes in any folder: run the CLI as nobody, for whom the folder is read-only
    await chown(dir, 0, 0);
    const script = `import(${JSON.stringify(join(REPO, 'src/cli/main.ts'))}).then(async (m) => { const err = []; const code = await m.run(${JSON.stringify(args)}, { out: () => {}, err: (l) => err.push(l) }); console.log(JSON.stringify({ code, err })); process.exit(0); });`;
    const { stdout } = await promisify(execFile)('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', script], { cwd: REPO, timeout: 60_000 });
    r = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof r;
  }
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, [`error: --dir ${dir} is not a folder this user can write in (EACCES): choose another, or give this user write access to it`]);
});
