// End to end, as an operator and a customer: what `corral up` says on the terminal, the
// JSON log it keeps in <dir>/logs/corral.log, `corral logs <site>` merging the VSs' output
// and the router's access lines (its own answers too; no health probes, -n in total, -f
// picking up a VS that starts later), and Ctrl-C stopping the farm quickly with three VSs running.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CORRAL_BIN, ok, removeDir, REPO, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { Agent, request } from 'undici';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { rawRequest } from '../src/router/testing.ts';

const HOST = 'shop.acme.test';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('logs of a farm and of a site', () => {
  let farm: FarmProcess;

  const vsNames = async (): Promise<string[]> =>
    (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: { vs: string; site: string; state?: string }[] }).virtualServers
      .filter((v) => v.site === 'shop' && v.state === 'ready').map((v) => v.vs).sort();

  before(async () => {
    farm = await startFarmProcess({ env: { CORRAL_LOG_LEVEL: 'info' } });
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'shop', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
      '--health', '/health', '--replicas', '2', '--domain', HOST]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'shop']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('the terminal says what happened in plain lines, no JSON', async () => {
    await waitFor(async () => /shop: serving release \S+ on 2 virtual servers/.test(farm.output()), { timeoutMs: 20_000, what: 'a line for the deploy' });
    const out = farm.output();
    assert.match(out, /release\.upload site\/shop by admin/);
    assert.match(out, /engine .*runtime: /);
    assert.match(out, /logs\s+\S+corral\.log/);
    assert.deepEqual(lines(out).filter((l) => l.trimStart().startsWith('{')), [], 'no JSON on the terminal');
  });

  it('keeps the JSON logs in <dir>/logs/corral.log', async () => {
    const text = await readFile(join(farm.dir, 'logs', 'corral.log'), 'utf8');
    const records = lines(text).map((l) => JSON.parse(l) as { part?: string; msg?: string; level: number });
    assert.ok(records.some((r) => r.part === 'engine'), 'the engine logs there');
    assert.ok(!records.some((r) => r.msg === 'incoming request' && r.level >= 30), 'API requests are not logged at info');
  });

  it('shows 100 router access lines after 100 requests, and no health checks', async () => {
    for (let i = 0; i < 100; i++) assert.equal((await get(farm.routerUrl, HOST, `/?n=${i}`)).status, 200);
    let shown: string[] = [];
    await waitFor(async () => {
      shown = lines((await ok(farm.cli(['logs', 'shop', '--source', 'router', '-n', '100']))).stdout);
      return shown.filter((l) => l.includes('/?n=')).length === 100;
    }, { timeoutMs: 10_000, what: '100 access lines' });
    assert.equal(shown.length, 100);
    for (const l of shown) assert.match(l, /^router \| GET shop\.acme\.test\/\?n=\d+ 200 \d+B [\d.]+ms -> /);
    assert.ok(!shown.some((l) => l.includes('/health')));
  });

  it("shows the router's own answers too: a refused request, with the code it was answered with", async () => {
    const { hostname, port } = new URL(farm.routerUrl);
    const reply = await rawRequest({ connect: () => connect(Number(port), hostname) }, `GET /refused HTTP/1.1\r\nHost: ${HOST}\r\nHost: ${HOST}\r\n\r\n`); // two Host headers: 400
    assert.match(reply, /^HTTP\/1.1 400 /);
    const refused = /^router \| GET shop\.acme\.test\/refused 400 \d+B [\d.]+ms -> router ROUTER_BAD_REQUEST$/;
    await waitFor(async () => lines((await ok(farm.cli(['logs', 'shop', '--source', 'router', '-n', '5']))).stdout).some((l) => refused.test(l)), { timeoutMs: 10_000, what: 'the 400 line' });
  });

  it("--source app shows the app's own lines, without its health probes", async () => {
    const out = lines((await ok(farm.cli(['logs', 'shop', '--source', 'app', '-n', '1000']))).stdout);
    const requests = out.filter((l) => l.includes('"event":"request"'));
    assert.ok(requests.length >= 100, `the app logged its requests (${requests.length})`);
    assert.ok(!out.some((l) => l.includes('"path":"/health"')), 'the engine probes /health often, but the app leaves them out');
    assert.ok(!out.some((l) => l.startsWith('router | ')));
  });

  it('-n counts lines in total across VSs, merged in time order with the router', async () => {
    const app = lines((await ok(farm.cli(['logs', 'shop', '--source', 'app', '-n', '5']))).stdout);
    assert.equal(app.length, 5);
    const all = lines((await ok(farm.cli(['logs', 'shop', '-n', '40']))).stdout);
    assert.equal(all.length, 40);
    const names = new Set(all.map((l) => l.split(' | ')[0]));
    assert.ok(names.has('router') && names.size >= 2, `both sources: ${[...names].join(', ')}`);
  });

  it('-f picks up a virtual server that starts later', async () => {
    const before = await vsNames();
    // -n 1: the follower's first line says it is following; a VS started before that would be one it found at its start
    const follower = spawn(process.execPath, [CORRAL_BIN, 'logs', 'shop', '-f', '-n', '1', '--source', 'app'], {
      cwd: farm.dir, env: { ...process.env, CORRAL_API: farm.apiUrl, CORRAL_TOKEN: farm.token }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    try {
      await waitFor(() => followed.length > 0, { timeoutMs: 20_000, what: 'the follower to print its first line' });
      await ok(farm.cli(['scale', 'shop', '3']));
      let added: string | undefined;
      await waitFor(async () => (added = (await vsNames()).find((v) => !before.includes(v))) !== undefined, { timeoutMs: 20_000, what: 'a third VS' });
      await waitFor(async () => followed.split('\n').some((l) => l.startsWith(`${added} | `) && l.includes('"event":"listening"')), { timeoutMs: 10_000, what: "the new VS's first lines in the followed logs" });
    } finally {
      follower.kill('SIGINT');
    }
  });

  it('Ctrl-C stops the farm with three VSs running within seconds, a client holding a keep-alive connection and a slow request open', async () => {
    await waitFor(async () => (await vsNames()).length === 3, { timeoutMs: 20_000, what: 'three ready VSs' });
    // what used to hold the router's drain for 10 s: a browser's idle keep-alive connection, a request still in flight
    const client = new Agent({ keepAliveTimeout: 60_000 });
    after(() => client.destroy());
    await (await request(`${farm.routerUrl}/`, { headers: { host: HOST }, dispatcher: client })).body.text();
    const slow = request(`${farm.routerUrl}/slow?ms=30000`, { headers: { host: HOST }, dispatcher: client }).catch(() => undefined);
    // a follower open when the farm stops says so and exits 1, never 0 as if it had been asked to stop
    const follower = spawn(process.execPath, [CORRAL_BIN, 'logs', 'shop', '-f', '-n', '1'], {
      cwd: farm.dir, env: { ...process.env, CORRAL_API: farm.apiUrl, CORRAL_TOKEN: farm.token }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    let followerErr = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    follower.stderr.on('data', (d: Buffer) => (followerErr += d.toString()));
    const followerExit = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    await waitFor(() => followed.length > 0, { timeoutMs: 20_000, what: 'the follower to print its first line' });
    const t0 = performance.now();
    const code = await farm.stop();
    const seconds = (performance.now() - t0) / 1000;
    console.log(`# corral up stopped in ${seconds.toFixed(2)} s with 3 VSs running`);
    assert.equal(code, 0);
    assert.ok(seconds < 5, `stopped in ${seconds.toFixed(2)} s`);
    assert.equal(await followerExit, 1, followerErr);
    assert.match(followerErr, /^error: the controller ended the log stream \(it stopped or restarted, or this token no longer works\)/);
    await slow;
  });
});

describe('corral up --log-format json', () => {
  let farm: FarmProcess;
  before(async () => {
    farm = await startFarmProcess({ extraArgs: ['--log-format', 'json', '--router-workers', '1'], env: { CORRAL_LOG_LEVEL: 'info' } });
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('prints the JSON logs on the terminal too, as before', async () => {
    await waitFor(async () => lines(farm.output()).some((l) => l.includes('"part":"engine"')), { timeoutMs: 10_000, what: 'JSON on the terminal' });
    const json = lines(farm.output()).filter((l) => l.startsWith('{'));
    for (const l of json) JSON.parse(l);
    assert.ok(json.length > 0);
    assert.ok((await readFile(join(farm.dir, 'logs', 'corral.log'), 'utf8')).includes('"part":"engine"'));
  });
});
