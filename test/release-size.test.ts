// The operator's release size limits, end to end on `corral up`: --max-release-size and
// --max-release-unpacked decide what an upload may be (413 naming the flag beyond, through
// the API and the CLI), a release accepted under raised limits is unpacked by the engine and
// served, and lowering the limits later leaves the releases already stored running (the
// engine unpacks one again under the limits it was accepted with). Bad values stop
// `corral up` before anything starts. Small limits keep the releases small.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDirectory } from '../src/lib/tarball.ts';
import { waitFor } from '../src/lib/wait.ts';
import { ok, removeDir, runCli, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';

const MiB = 1024 * 1024;

describe('release size limits set by the operator', () => {
  let work = '';
  let dir = '';
  let farm: FarmProcess | undefined;
  let customer = '';
  /** The 2 MiB release accepted under the raised limits: its random file's sha256. */
  let servedSha = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-relsize-'));
    dir = join(work, 'farm');
    await mkdir(dir);
  });
  after(async () => {
    await farm?.stop();
    await removeDir(work);
  });

  it('raised: a 2 MiB incompressible release is accepted under --max-release-size 3M and the site serves it', async () => {
    farm = await startFarmProcess({ dir, extraArgs: ['--router-workers', '1', '--no-databases', '--max-release-size', '3M', '--max-release-unpacked', '8M'] });
    customer = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', 'acme']))).stdout)![1]!;
    await ok(farm.cli(['site', 'create', 'www', '--domain', 'www.acme.test', '--kind', 'static'], { token: customer }));
    const bytes = randomBytes(2 * MiB);
    servedSha = sha(bytes);
    const deploy = await ok(farm.cli(['deploy', await releaseDir('big', { 'index.html': 'big release\n', 'random.bin': bytes }), '--site', 'www'], { token: customer }));
    assert.match(deploy.stdout, /deployed www v1/);
    // served through the router: the engine unpacked it
    assert.equal(await servedFile(), servedSha);
    const { releases } = JSON.parse((await ok(farm.cli(['releases', 'www', '--json'], { token: customer }))).stdout) as { releases: { limits?: unknown }[] };
    assert.deepEqual(releases[0]?.limits, { maxCompressedBytes: 3 * MiB, maxUnpackedBytes: 8 * MiB }, 'the release records the limits it was accepted under');
  });

  it('lowered: after a restart with --max-release-size 1M the stored release is unpacked again and still serves', async () => {
    assert.equal(await farm!.stop(), 0);
    // the engine must unpack it again, now that the farm's flags are lower than the release
    await rm(join(dir, 'engine', 'releases'), { recursive: true, force: true });
    await rm(join(dir, 'engine', 'pools'), { recursive: true, force: true });
    farm = await startFarmProcess({ dir, extraArgs: ['--router-workers', '1', '--no-databases', '--max-release-size', '1M', '--max-release-unpacked', '4M'] });
    await waitFor(async () => (await get(farm!.routerUrl, 'www.acme.test', '/')).status === 200, { timeoutMs: 20_000, what: 'www served again' });
    assert.equal(await servedFile(), servedSha);
    assert.equal((await readdir(join(dir, 'engine', 'releases'))).filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 1, 'unpacked again');
  });

  it('a release over --max-release-size gets 413 naming the limit and the flag, from the API and from corral deploy', async () => {
    const big = await releaseDir('big2', { 'index.html': 'too big\n', 'random.bin': randomBytes(2 * MiB) });
    const tarball = join(work, 'big2.tar.gz');
    await packDirectory(big, tarball);
    const res = await fetch(`${farm!.apiUrl}/v1/sites/www/releases`, {
      method: 'POST', headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/gzip' }, body: await readFile(tarball),
    });
    assert.equal(res.status, 413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'payload_too_large');
    assert.match(error.message, /larger than this farm's limit of 1\.0 MiB \(1048576 bytes\); the operator sets it with --max-release-size/);

    const deploy = await farm!.cli(['deploy', big, '--site', 'www'], { token: customer });
    assert.equal(deploy.code, 1, deploy.stderr);
    assert.match(deploy.stderr, /limit of 1\.0 MiB .*--max-release-size/);
    await assertStillV1();
  });

  it('a small tarball that unpacks past --max-release-unpacked gets 413 tarball_too_large naming the flag', async () => {
    const zeros = await releaseDir('zeros', { 'index.html': 'zeros\n', 'zeros.bin': Buffer.alloc(5 * MiB) });
    const deploy = await farm!.cli(['deploy', zeros, '--site', 'www'], { token: customer });
    assert.equal(deploy.code, 1, deploy.stderr);
    assert.match(deploy.stderr, /release unpacks to more than 4\.0 MiB \(the limit\).*--max-release-unpacked/);
    const tarball = join(work, 'zeros.tar.gz');
    await packDirectory(zeros, tarball);
    const body = await readFile(tarball);
    assert.ok(body.length < MiB, `compressed ${body.length} bytes: under the compressed limit`);
    const res = await fetch(`${farm!.apiUrl}/v1/sites/www/releases`, {
      method: 'POST', headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/gzip' }, body,
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'tarball_too_large');
    await assertStillV1();
  });

  /** Refused uploads left no release behind, and the site serves what it did. */
  async function assertStillV1(): Promise<void> {
    const list = (await ok(farm!.cli(['releases', 'www'], { token: customer }))).stdout;
    assert.doesNotMatch(list, /\bv2\b/);
    assert.equal((await get(farm!.routerUrl, 'www.acme.test', '/')).body, 'big release\n');
  }

  /** The sha256 of www's random.bin through the router. */
  async function servedFile(): Promise<string> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${farm!.routerUrl}/random.bin`, { headers: { host: 'www.acme.test' } }, resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    const hash = createHash('sha256');
    for await (const chunk of res) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async function releaseDir(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const d = join(work, name);
    await mkdir(d, { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(d, file), content);
    return d;
  }
});

it('corral up refuses a bad --max-release-size or --max-release-unpacked before anything starts', async () => {
  const cases: [string[], RegExp][] = [
    [['--max-release-size', 'lots'], /^error: --max-release-size must be a size from 1K to 16G: bytes, or a number with a unit \(K, M, G, T: 300M, 1\.5G\), got "lots"\n$/],
    [['--max-release-size', '0'], /^error: --max-release-size must be a size from 1K to 16G: .*got "0"\n$/],
    [['--max-release-unpacked', '5T'], /^error: --max-release-unpacked must be a size from 1K to 1T: .*got "5T"\n$/],
    [['--max-release-size', '2G'], /^error: --max-release-unpacked \(1G\) is less than --max-release-size \(2G\): a release that large could not unpack; raise --max-release-unpacked too\n$/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['up', '--dir', '/nonexistent/never', ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  const help = await ok(runCli(['up', '--help']));
  assert.match(help.stdout, /--max-release-size <size>[\s\S]*\(default:\s+"100M"\)/);
  assert.match(help.stdout, /--max-release-unpacked <size>[\s\S]*\(default:\s+"1G"\)/);
});

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
