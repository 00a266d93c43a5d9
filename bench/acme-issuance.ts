// Automatic HTTPS, as a user sees it: `corral up` (router workers on the ports pebble
// validates against, --acme-directory pebble) and, per round, a new site created with
// `--tls auto` and its release deployed at once. Times: create → first verified TLS
// handshake (the issued certificate served by SNI, checked against pebble's root), and
// create → first verified HTTPS 200. pebble runs with PEBBLE_VA_NOSLEEP=1 (no
// artificial validation delay). Run: node --import tsx bench/acme-issuance.ts (env ROUNDS=5)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startPebble } from '../src/lib/pebble-testing.ts';
import { freePorts } from '../src/lib/free-ports.ts';
import { waitFor } from '../src/lib/wait.ts';
import { run } from '../test/helpers/acme-farm.ts';
import { ok, startFarmProcess } from '../test/helpers/farm-process.ts';
import { median } from './density/samples.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const cleanups: Array<() => unknown> = [];
const ctx = { after: (fn: () => unknown) => void cleanups.push(fn) } as unknown as TestContext;
const work = mkdtempSync(join(tmpdir(), 'corral-bench-acme-'));
try {
  const [httpPort, httpsPort] = await freePorts(2);
  const pebble = await startPebble(ctx, { httpPort: httpPort!, tlsPort: httpsPort! });
  writeFileSync(join(work, 'ca.pem'), pebble.caPem);
  const farm = await startFarmProcess({
    extraArgs: ['--http-port', String(httpPort), '--https-port', String(httpsPort), '--acme-directory', pebble.directoryUrl, '--acme-ca-file', join(work, 'ca.pem')],
  });
  cleanups.push(async () => (await farm.stop(), rmSync(farm.dir, { recursive: true, force: true })));
  writeFileSync(join(work, 'root.pem'), await pebble.root());
  mkdirSync(join(work, 'site'));
  writeFileSync(join(work, 'site', 'index.html'), '<h1>bench</h1>\n');
  await ok(farm.cli(['customer', 'create', 'bench']));
  const curl = (host: string) => run('curl', ['-sS', '--max-time', '3', '--cacert', join(work, 'root.pem'), '--resolve', `${host}:${httpsPort}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_code}', `https://${host}:${httpsPort}/`]);
  const rows: Array<{ handshake: number; ok200: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const name = `s${round}`;
    const host = `${name}.bench.test`;
    const started = Date.now();
    await ok(farm.cli(['site', 'create', name, '--customer', 'bench', '--domain', host, '--tls', 'auto']));
    const deploy = farm.cli(['deploy', join(work, 'site'), '--site', name]);
    let handshake = 0;
    await waitFor(async () => {
      const r = await curl(host);
      if (r.code === 0 && !handshake) handshake = Date.now() - started;
      return r.code === 0 && r.body === '200';
    }, { timeoutMs: 120_000, intervalMs: 20, what: `a verified HTTPS 200 from ${host}` });
    const ok200 = Date.now() - started;
    await ok(deploy);
    rows.push({ handshake, ok200 });
    console.log(`round ${round}: site create --tls auto → verified TLS ${handshake} ms, verified HTTPS 200 ${ok200} ms`);
  }
  console.log(`median of ${ROUNDS}: verified TLS ${median(rows.map((r) => r.handshake))} ms, verified HTTPS 200 ${median(rows.map((r) => r.ok200))} ms`);
} finally {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
}
