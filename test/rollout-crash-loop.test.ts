// End to end, as a customer: `corral deploy` of a release whose servers exit at start fails
// as soon as they crash-loop (src/cli/commands/crash-loop.ts), not at its --timeout, while the
// release before serves on; a release whose servers crash once and then come up deploys; and
// --no-fail-fast waits until --timeout.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { versionsServed } from './helpers/http.ts';

const HOST = 'loop.acme.test';

let farm: FarmProcess;
let work = '';

const versions = (n: number) => versionsServed(farm.routerUrl, HOST, n);

/** A release whose server.js exits 1 at once; `tag` makes its content its own. */
async function crashing(tag: string): Promise<string> {
  const dir = join(work, `crash-${tag}`);
  await mkdir(dir);
  await writeFile(join(dir, 'server.js'), `// ${tag}\nprocess.exit(1);\n`);
  return dir;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'corral-crash-loop-'));
  // crashes once: its first start in a data folder leaves a mark there and exits 1, the next runs the app
  const once = join(work, 'once');
  await cp(join(REPO, 'examples', 'node-app'), once, { recursive: true });
  await writeFile(join(once, 'VERSION'), 'once\n');
  await rename(join(once, 'server.js'), join(once, 'app.js'));
  await writeFile(join(once, 'server.js'), [
    "import { existsSync, writeFileSync } from 'node:fs';",
    "import { join } from 'node:path';",
    "const mark = join(process.env.CORRAL_DATA_DIR ?? '.', 'started-once');",
    "if (!existsSync(mark)) { writeFileSync(mark, ''); process.exit(1); }",
    "await import('./app.js');",
    '',
  ].join('\n'));
  farm = await startFarmProcess();
  await ok(farm.cli(['customer', 'create', 'acme']));
  await ok(farm.cli(['site', 'create', 'loop', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
    '--health', '/health', '--replicas', '2', '--domain', HOST, '--drain-timeout', '0']));
  await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'loop']));
});
after(async () => {
  await farm?.stop();
  await removeDir(farm?.dir ?? '');
  await removeDir(work);
});

it('a deploy whose servers exit 1 at start fails well before --timeout naming the crashes; the release before serves on', async () => {
  const started = Date.now();
  const r = await farm.cli(['deploy', await crashing('a'), '--site', 'loop', '--timeout', '120']);
  const took = Date.now() - started;
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.ok(took < 40_000, `${took} ms: not the 120 s of --timeout`);
  assert.match(r.stderr, /^error: rollout of loop v2 stopped early after \d+ s, its new servers crash-looping \(0\/2 ready\): new servers [^;]*\(restarted \d+ times, last exit code 1\), each failed its start 3 times or more and none was ever ready; v1 serves on; see `corral logs loop` \(--no-fail-fast waits until --timeout\)$/m);
  assert.deepEqual([...new Set(await versions(8))], ['1'], 'v1 answers throughout');
});

it('a deploy whose servers crash once at start and then come up deploys', async () => {
  const r = await ok(farm.cli(['deploy', join(work, 'once'), '--site', 'loop', '--timeout', '120']));
  assert.match(r.stdout, /^deployed loop v3 in \d+\.\d s$/m);
  const vss = (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: { site: string; release: string; restarts?: number }[] }).virtualServers;
  assert.ok(vss.some((v) => v.site === 'loop' && v.release === 'v3' && (v.restarts ?? 0) >= 1), 'a v3 server crashed before it came up');
  assert.deepEqual([...new Set(await versions(8))], ['once']);
});

it('deploy --no-fail-fast waits for servers that crash-loop until --timeout', async () => {
  const started = Date.now();
  const r = await farm.cli(['deploy', await crashing('b'), '--site', 'loop', '--timeout', '15s', '--no-fail-fast']);
  const took = Date.now() - started;
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.ok(took >= 15_000, `${took} ms: waited until --timeout`);
  assert.match(r.stderr, /^error: rollout of loop v4 not ready after 15 s \(0\/2 ready\): new servers [^;]*last exit code 1\); v3 serves on; see `corral logs loop`$/m);
  assert.deepEqual([...new Set(await versions(4))], ['once']);
});
