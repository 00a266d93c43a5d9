// bin/corral.js is read by /bin/sh first (its launcher line), then by node. Tried here with
// the real node and a preload (NODE_OPTIONS --import) that writes, as the process exits,
// its environment and whether jemalloc is mapped: the launcher preloads jemalloc when it is
// installed for the commands that run a farm's processes (not for a short command);
// CORRAL_MALLOC=glibc or an operator's own LD_PRELOAD turns it off; an operator's own
// MALLOC_CONF and glibc settings are kept; the launcher's own variables leave the
// environment the children inherit; the arguments arrive as given; sh prints nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORRAL_BIN, removeDir } from './helpers/farm-process.ts';
import { installedJemalloc } from './helpers/jemalloc.ts';

const DUMP = `import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.DUMP_TO, JSON.stringify({
  env: process.env,
  jemalloc: /libjemalloc/.test(readFileSync('/proc/self/maps', 'utf8')),
  argv: process.argv.slice(2),
})));
`;

interface Dump {
  env: Record<string, string>;
  jemalloc: boolean;
  argv: string[];
}

describe("bin/corral.js's launcher", () => {
  let dir = '';
  let n = 0;
  const jemalloc = installedJemalloc();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corral-launcher-'));
    await writeFile(join(dir, 'dump.mjs'), DUMP);
  });
  after(() => removeDir(dir));

  /** Run the bin as a command (its first line decides how), with `env` over a clean base, and read what node saw at exit. */
  const run = async (args: string[], env: Record<string, string> = {}): Promise<{ dump: Dump; stderr: string; status: number | null }> => {
    const out = join(dir, `dump-${n++}.json`);
    const base = { PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(':'), HOME: dir, DUMP_TO: out, NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'dump.mjs')).href}` };
    const r = spawnSync(CORRAL_BIN, args, { env: { ...base, ...env }, encoding: 'utf8' });
    return { dump: JSON.parse(await readFile(out, 'utf8')) as Dump, stderr: r.stderr, status: r.status };
  };

  it('CI installs libjemalloc2 (.ci/run sets CORRAL_EXPECT_JEMALLOC=1), so the cases below run with it there', { skip: process.env.CORRAL_EXPECT_JEMALLOC === '1' ? false : 'not under .ci/run: jemalloc is optional on a developer machine' }, () => {
    assert.ok(jemalloc, 'libjemalloc.so.2 not found');
  });

  it('preloads jemalloc into `corral up` when installed, keeps the glibc settings, and takes its own variables out of what children inherit', async () => {
    const { dump, stderr, status } = await run(['up', '--help']);
    assert.equal(status, 0, stderr);
    assert.equal(stderr, '', 'nothing from sh');
    assert.equal(dump.jemalloc, jemalloc !== undefined);
    assert.equal(dump.env.MALLOC_ARENA_MAX, '2');
    assert.equal(dump.env.MALLOC_MMAP_THRESHOLD_, '131072');
    for (const name of ['LD_PRELOAD', 'MALLOC_CONF', 'CORRAL_JEMALLOC', 'CORRAL_JEMALLOC_CONF']) assert.equal(dump.env[name], undefined, name);
  });

  for (const word of ['controller', 'engine', 'router']) {
    it(`preloads it for \`corral ${word}\` too, wherever the word is`, async () => {
      const { dump, status } = await run(['--api', 'http://127.0.0.1:1', word, '--help']);
      assert.equal(status, 0);
      assert.equal(dump.jemalloc, jemalloc !== undefined);
    });
  }

  it('a short command runs on glibc (nothing to give back before it exits)', async () => {
    const { dump, status } = await run(['status', '--help']);
    assert.equal(status, 0);
    assert.equal(dump.jemalloc, false);
    assert.equal(dump.env.MALLOC_ARENA_MAX, '2');
  });

  it('CORRAL_MALLOC=glibc: no jemalloc', async () => {
    const { dump, status } = await run(['up', '--help'], { CORRAL_MALLOC: 'glibc' });
    assert.equal(status, 0);
    assert.equal(dump.jemalloc, false);
    assert.equal(dump.env.LD_PRELOAD, undefined);
    assert.equal(dump.env.MALLOC_ARENA_MAX, '2');
  });

  it("keeps an operator's own MALLOC_CONF and glibc settings, for this process and its children", async () => {
    const { dump, status, stderr } = await run(['up', '--help'], { MALLOC_CONF: 'dirty_decay_ms:0', MALLOC_ARENA_MAX: '4' });
    assert.equal(status, 0, stderr);
    assert.equal(dump.jemalloc, jemalloc !== undefined);
    assert.equal(dump.env.MALLOC_CONF, 'dirty_decay_ms:0');
    assert.equal(dump.env.MALLOC_ARENA_MAX, '4');
    assert.equal(dump.env.MALLOC_MMAP_THRESHOLD_, '131072');
  });

  it("leaves an operator's own LD_PRELOAD alone (no jemalloc added, theirs kept for the children)", async () => {
    const own = jemalloc ?? '/lib/x86_64-linux-gnu/libdl.so.2';
    const { dump, status, stderr } = await run(['up', '--help'], { LD_PRELOAD: own });
    assert.equal(status, 0, stderr);
    assert.equal(dump.env.LD_PRELOAD, own);
    assert.equal(dump.env.MALLOC_CONF, undefined, 'no MALLOC_CONF of the launcher\'s');
    assert.equal(dump.env.CORRAL_JEMALLOC, undefined);
  });

  it('passes the arguments through as given (spaces, quotes, globs)', async () => {
    const args = ['site', 'create', 'a b', "it's", '*', '$HOME', 'up', '--help'];
    const { dump } = await run(args);
    assert.deepEqual(dump.argv, args);
  });
});
