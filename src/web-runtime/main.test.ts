// main.ts as a child process: it listens, logs one JSON line, and on SIGTERM drains and exits 0.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../lib/wait.ts';
import { tempSiteDir } from './testing.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIG = 32 * 1024 * 1024;

interface Started {
  child: ChildProcess;
  port: number;
  exit: Promise<number | null>;
}

async function startMain(t: TestContext, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/web-runtime/main.ts'], {
    cwd: REPO,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CORRAL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const port = await waitFor(() => listeningPort(out), { what: 'the listening log line', timeoutMs: 20_000 });
  return { child, port, exit };
}

function listeningPort(out: string): number | undefined {
  for (const line of out.split('\n')) {
    if (!line.includes('"listening"')) continue;
    const rec = JSON.parse(line) as { event?: string; port?: number };
    if (rec.event === 'listening') return rec.port;
  }
  return undefined;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

function get(port: number, p: string, agent: http.Agent): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: p, agent }, resolve).on('error', reject));
}

test('serves, then on SIGTERM finishes an in-flight download and exits 0', async (t) => {
  const root = await tempSiteDir(t, { 'index.html': 'hello' });
  await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(BIG, 7));
  const { child, port, exit } = await startMain(t, { CORRAL_WEB_ROOT: root });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());

  const health = await get(port, '/.corral/health', agent);
  assert.equal(health.statusCode, 200);
  health.resume();

  const download = await get(port, '/big.bin', agent);
  assert.equal(download.statusCode, 200);
  download.pause(); // a slow reader: the server cannot finish writing yet
  child.kill('SIGTERM');
  await waitFor(() => refusesConnections(port), { what: 'the listener to close' });
  assert.equal(child.exitCode, null, 'still draining the in-flight response');

  let received = 0;
  download.on('data', (c: Buffer) => (received += c.length));
  await new Promise((resolve, reject) => download.on('end', resolve).on('error', reject).resume());
  assert.equal(received, BIG);
  assert.equal(await exit, 0);
});

test('exits 0 promptly on SIGTERM even with an idle keep-alive connection open', async (t) => {
  const root = await tempSiteDir(t, { 'index.html': 'hello' });
  const { child, port, exit } = await startMain(t, { CORRAL_WEB_SITES: JSON.stringify([{ domains: ['a.test'], root }]) });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const res = await get(port, '/', agent);
  assert.equal(res.statusCode, 200);
  res.resume();
  await new Promise((resolve) => res.on('end', resolve));

  const started = Date.now();
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
  assert.ok(Date.now() - started < 5_000, 'did not wait for the hard deadline');
});

test("CORRAL_WEB_SITES: a site's spa and its release's _redirects reach the server (as an engine starts a site's own VS)", async (t) => {
  const root = await tempSiteDir(t, { 'index.html': 'shell', '_redirects': '/old /new 302' });
  const { port } = await startMain(t, { CORRAL_WEB_SITES: JSON.stringify([{ domains: ['a.test'], root, spa: true }]) });
  const agent = new http.Agent({ keepAlive: false });
  t.after(() => agent.destroy());
  const page = await get(port, '/deep/route', agent);
  assert.equal(page.statusCode, 200);
  page.resume();
  const moved = await get(port, '/old', agent);
  assert.equal(moved.statusCode, 302);
  assert.equal(moved.headers.location, '/new');
  moved.resume();
});

test('exits 1 with a clear message when the environment is incomplete', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/web-runtime/main.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', CORRAL_WEB_SITES: '', CORRAL_WEB_ROOT: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(out, /WEB_CONFIG_INVALID|CORRAL_WEB_SITES/);
});
