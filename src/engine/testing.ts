// Test helpers for the engine: temp directories, a small test app written into a
// release directory, VS specs, and a plain HTTP GET. Not used outside tests.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { parseStamped } from '../lib/stamped-line.ts';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { VsSpec } from './runtime.ts';

/**
 * The test app (CommonJS, no dependencies). Listens on $HOST:$PORT and answers JSON
 * {vs, host, path, pid}. Switches: IGNORE_TERM=1 ignores SIGTERM; EXIT_AFTER_MS=n exits
 * with code 3 after n ms; SPAM=n prints n lines of 100 bytes at start; FAIL_HEALTH_FILE=f
 * answers 500 while file f exists; PRINT_ENV=1 prints its environment as JSON; LISTEN_AFTER_MS=n
 * listens only after n ms (an app slow to get ready).
 */
export const TEST_APP = `
const http = require('http');
const fs = require('fs');
const env = process.env;
if (env.PRINT_ENV) console.log('ENV ' + JSON.stringify(env));
for (let i = 0; i < Number(env.SPAM || 0); i++) console.log(String(i).padStart(99, '.'));
const server = http.createServer((req, res) => {
  const failing = env.FAIL_HEALTH_FILE && fs.existsSync(env.FAIL_HEALTH_FILE);
  res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ vs: env.CORRAL_VS, host: req.headers.host, path: req.url, pid: process.pid }));
});
const listen = () => server.listen(Number(env.PORT), env.HOST, () => console.log('listening on ' + env.HOST + ':' + env.PORT));
if (env.LISTEN_AFTER_MS) setTimeout(listen, Number(env.LISTEN_AFTER_MS)); else listen();
console.error('stderr hello');
process.on('SIGTERM', () => {
  if (env.IGNORE_TERM) { console.log('ignoring SIGTERM'); return; }
  console.log('got SIGTERM');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
if (env.EXIT_AFTER_MS) setTimeout(() => process.exit(3), Number(env.EXIT_AFTER_MS));
`;

const cleanups = new WeakMap<TestContext, (() => unknown)[]>();

/** Register cleanup for the end of the test; run last-registered first (unlike t.after). */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = cleanups.get(t);
  if (!stack) {
    const s: (() => unknown)[] = [];
    cleanups.set(t, s);
    t.after(async () => {
      for (const f of s.reverse()) await f();
    });
    stack = s;
  }
  stack.push(fn);
}

/** A temp directory removed after the test (after everything registered later is cleaned up). */
export async function tempDir(t: TestContext, prefix = 'corral-engine-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onCleanup(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A release directory holding the test app as server.cjs (and extra files). */
export async function writeTestRelease(dir: string, extra: Record<string, string> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'server.cjs'), TEST_APP);
  for (const [name, content] of Object.entries(extra)) await writeFile(path.join(dir, name), content);
  return dir;
}

/** The command that runs the test app (node by absolute path: PATH may not have it). */
export const TEST_APP_COMMAND = `exec "${process.execPath}" server.cjs`;

/** An app VS spec for the test app in base/release, with data and logs under base. */
export function appSpec(base: string, name: string, env: Record<string, string> = {}): VsSpec {
  return {
    name,
    site: 'testsite',
    customer: 'c1',
    kind: 'app',
    releaseDir: path.join(base, 'release'),
    dataDir: path.join(base, 'data', 'testsite'),
    logFile: path.join(base, 'logs', `${name}.log`),
    command: TEST_APP_COMMAND,
    domains: ['test.example'],
    healthPath: '/',
    env,
  };
}

/** GET http://address:port/path with agent:false; resolves status and body text. */
export function httpGet(address: string, port: number, urlPath = '/', host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port, path: urlPath, agent: false, headers: host ? { host } : {}, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Whether a process exists (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A VS's log file as its guest wrote it: each line without the time the engine put in front (line-stamper.ts). */
export async function readVsLog(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').map((l) => parseStamped(l).text).join('\n');
}
