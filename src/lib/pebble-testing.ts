// Test helper: Debian's pebble (an RFC 8555 test CA) and pebble-challtestsrv (its DNS,
// answering every name with 127.0.0.1), started on free loopback ports and stopped when
// the test ends. pebble validates HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort`:
// point them at the router under test. Its issuing root comes from the management port.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { selfSigned } from './tls-testing.ts';
import { waitFor } from './wait.ts';
import { freePorts } from './free-ports.ts';

export const PEBBLE = '/usr/bin/pebble';
export const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';

/** Why pebble tests cannot run here, or undefined. */
export function pebbleMissing(): string | undefined {
  return existsSync(PEBBLE) && existsSync(CHALLTESTSRV) ? undefined : 'needs Debian package pebble (/usr/bin/pebble, /usr/bin/pebble-challtestsrv)';
}

export interface Pebble {
  directoryUrl: string;
  /** Trust for the directory's own HTTPS certificate (PEM). */
  caPem: string;
  /** The root pebble issues under (PEM), for clients checking issued certificates. */
  root(): Promise<string>;
  /** pebble-challtestsrv's management API (POST /set-txt {host, value}, /clear-txt {host}). */
  challtestUrl: string;
  /** Stop pebble (a CA outage); start() brings it back on the same ports (a new root). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `eab`: External Account Binding required, with these key ids → HMAC keys (base64url). */
export async function startPebble(t: TestContext, o: { httpPort: number; tlsPort: number; env?: Record<string, string>; eab?: Record<string, string> }): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-pebble-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSigned(t, 'localhost', ['DNS:localhost', 'IP:127.0.0.1']);
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key);
  const [port, mgmt, dns, challMgmt] = await freePorts(4);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${port}`, managementListenAddress: `127.0.0.1:${mgmt}`,
      certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem'),
      httpPort: o.httpPort, tlsPort: o.tlsPort, ocspResponderURL: '', externalAccountBindingRequired: o.eab !== undefined,
      ...(o.eab ? { externalAccountMACKeys: o.eab } : {}),
    },
  }));
  const agent = new Agent({ ca: tls.cert });
  const challtest = spawnQuiet(CHALLTESTSRV, ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challMgmt}`], {});
  t.after(() => void challtest.kill('SIGKILL'));
  let pebble: ChildProcess | undefined;
  const env = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_VA_ALWAYS_VALID: '0', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', ...o.env };
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const start = async () => {
    pebble = spawnQuiet(PEBBLE, ['-config', join(dir, 'config.json'), '-dnsserver', `127.0.0.1:${dns}`], env);
    await waitFor(() => get(directoryUrl, agent).then((r) => r.status === 200), { timeoutMs: 15_000, what: 'pebble to listen' });
  };
  const stop = async () => {
    const p = pebble;
    pebble = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  await start();
  await waitFor(() => get(`http://127.0.0.1:${challMgmt}/`, undefined).then(() => true), { timeoutMs: 10_000, what: 'pebble-challtestsrv' });
  return {
    directoryUrl, caPem: tls.cert, challtestUrl: `http://127.0.0.1:${challMgmt}`, stop, start,
    root: async () => (await get(`https://127.0.0.1:${mgmt}/roots/0`, agent)).body,
  };
}


function spawnQuiet(cmd: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', process.env.CORRAL_TEST_PEBBLE_LOG ? 'inherit' : 'ignore'] });
  child.on('error', () => {});
  return child;
}

async function get(url: string, agent: Agent | undefined): Promise<{ status: number; body: string }> {
  const mod = url.startsWith('https:') ? request : (await import('node:http')).request;
  return new Promise((resolve, reject) => {
    const req = mod(url, agent ? { agent } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
