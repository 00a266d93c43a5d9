// End to end on the namespace runtime: `corral up --runtime namespace`, an app site
// deployed with the CLI, reached through the router at its guest IP; `corral vs list`
// shows runtime, address, limits and usage; `corral vs exec` runs inside the guest
// (admin only); a memory hog's OOM kill shows in the listing; a pool VS killed mid-download
// cuts the downloads it served at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { namespaceSkip } from '../src/engine/namespace/testing.ts';

const skip = await namespaceSkip();
const HOST = 'ns.acme.test';

interface VsRow { vs: string; site: string; pool?: string[]; state?: string; address?: string; restarts?: number; runtime?: string; limits?: { memoryBytes: number; cpuQuota: number; pidsMax: number; diskBytes: number }; usage?: { memoryBytes: number }; lastExit?: { oom?: boolean; signal: string | null } }

describe('a farm on the namespace runtime', { skip }, () => {
  let farm: FarmProcess;
  let work = '';
  const allVs = async (): Promise<VsRow[]> => (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VsRow[] }).virtualServers;
  const vsList = async (site: string): Promise<VsRow[]> => (await allVs()).filter((v) => v.site === site);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-ns-'));
    farm = await startFarmProcess({ extraArgs: ['--runtime', 'namespace'] });
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'web', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health', '--replicas', '1', '--domain', HOST]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'web']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('serves through the router from a guest with its own IP; vs list shows runtime, limits and usage', async () => {
    const r = await waitFor(async () => { const x = await get(farm.routerUrl, HOST); return x.status === 200 ? x : undefined; }, { what: 'site through the router' });
    assert.equal(r.status, 200);
    const [v] = await waitFor(async () => { const l = await vsList('web'); return l[0]?.usage ? l : undefined; }, { what: 'usage in the status' });
    assert.equal(v!.runtime, 'namespace');
    assert.match(v!.address ?? '', /^10\.213\.\d+\.\d+$/);
    assert.ok(v!.limits!.memoryBytes > 0 && v!.usage!.memoryBytes > 0);
    const table = (await ok(farm.cli(['vs', 'list', '--wide']))).stdout;
    assert.match(table, /namespace/);
    assert.match(table, /mem \d+M/);
  });

  it('corral vs exec runs inside the guest, for admins only', async () => {
    const [v] = await vsList('web');
    const r = await ok(farm.cli(['vs', 'exec', v!.vs, '--', 'sh', '-c', 'cat /proc/sys/kernel/hostname; id -u; ls /srv']));
    const [hostname, uid, ...srv] = r.stdout.trim().split('\n');
    assert.equal(hostname, v!.vs);
    assert.ok(Number(uid) >= 200_000);
    assert.deepEqual(srv.sort(), ['data', 'release']);
    const failing = await farm.cli(['vs', 'exec', v!.vs, '--', 'sh', '-c', 'exit 7']);
    assert.equal(failing.code, 7);
    const token = (await ok(farm.cli(['customer', 'token', 'acme']))).stdout.trim();
    const denied = await farm.cli(['vs', 'exec', v!.vs, '--', 'id'], { token });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /admin/);
  });

  it('a memory hog is OOM-killed and restarted, and vs list says so', async () => {
    const hog = join(work, 'hog');
    await ok(farm.cli(['site', 'create', 'hog', '--customer', 'acme', '--kind', 'app', '--command',
      `node -e "const a=[];setInterval(()=>{for(let i=0;i<8;i++)a.push(Buffer.alloc(4<<20,1))},5)"`, '--replicas', '1', '--domain', 'hog.acme.test',
      '--memory', '96', '--cpu', '0.5', '--pids', '64', '--disk', '32']));
    await mkdir(hog, { recursive: true });
    await writeFile(join(hog, 'README'), 'hog\n');
    await ok(farm.cli(['deploy', hog, '--site', 'hog', '--no-wait']));
    const v = await waitFor(async () => (await vsList('hog')).find((x) => x.lastExit?.oom === true && (x.restarts ?? 0) >= 1), { what: 'OOM kill reported', timeoutMs: 30_000 });
    assert.equal(v.lastExit?.signal, 'SIGKILL');
    const limited = await waitFor(async () => (await vsList('hog')).find((x) => x.limits), { what: 'per-site limits in the status' });
    assert.deepEqual(limited.limits, { memoryBytes: 96 * 2 ** 20, cpuWeight: 100, cpuQuota: 0.5, pidsMax: 64, diskBytes: 32 * 2 ** 20 }, 'the site\'s own limits');
    const table = (await ok(farm.cli(['vs', 'list', '--wide']))).stdout;
    assert.match(table, /OOM SIGKILL/);
    assert.match(table, /mem 96M cpu 0\.5×w100 pids 64 disk 32M/);
    assert.equal((await get(farm.routerUrl, HOST)).status, 200, 'the other site keeps serving');
  });

  it('a pool VS killed mid-download: the downloads it was serving are cut at once, not left waiting for a timeout', async () => {
    const files = join(work, 'files');
    const size = 24 * 1024 * 1024;
    await mkdir(files, { recursive: true });
    await writeFile(join(files, 'index.html'), 'files\n');
    await writeFile(join(files, 'big.bin'), randomBytes(size)); // not compressible: a release over 100× its tarball is refused
    await ok(farm.cli(['site', 'create', 'files', '--customer', 'acme', '--domain', 'files.acme.test']));
    await ok(farm.cli(['deploy', files, '--site', 'files']));
    await waitFor(async () => (await get(farm.routerUrl, 'files.acme.test')).status === 200, { what: 'the pooled site through the router' });
    const pool = await waitFor(async () => (await allVs()).find((v) => v.pool?.includes('files')), { what: "acme's pool VS" });
    // a client that reads the first bytes and then nothing: the rest waits in the router's and the guest's buffers
    const url = new URL(farm.routerUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = 0;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.write('GET /big.bin HTTP/1.1\r\nHost: files.acme.test\r\n\r\n');
    await once(socket, 'data');
    socket.pause();
    const killed = await farm.cli(['vs', 'exec', pool.vs, '--', 'sh', '-c', 'kill -9 -1']); // every process of the guest's user: its web runtime
    assert.notEqual(killed.code, null);
    // the client reads again only once the guest was torn down and started again: the bytes the
    // dead guest's kernel still held for the router, and its end of stream, went with its namespace
    await waitFor(async () => (await allVs()).some((v) => v.vs === pool.vs && (v.restarts ?? 0) > (pool.restarts ?? 0)), { what: 'the pool VS restarted', timeoutMs: 30_000 });
    socket.resume(); // takes what the router had, then must hear the end
    await waitFor(() => socket.destroyed, { what: 'the download cut (the body timeout is 5 minutes)', timeoutMs: 20_000 });
    assert.ok(received < size, `${received} of ${size} bytes: cut, not completed`);
    await waitFor(async () => (await get(farm.routerUrl, 'files.acme.test')).status === 200, { what: 'the pool back after its restart' });
  });
});
