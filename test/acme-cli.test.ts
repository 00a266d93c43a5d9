// End to end, as an operator: `corral up --acme-directory <pebble> --acme-ca-file …` with
// its router workers on the ports pebble validates against; a customer creates a site with
// `--tls auto`, deploys it, and curl gets a verified HTTPS 200 with pebble's root; `corral
// cert list` / `cert status` show the certificate. The challenge reaches the workers
// through the route table's IPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pebbleMissing, startPebble } from '../src/lib/pebble-testing.ts';
import { freePorts } from '../src/lib/free-ports.ts';
import { waitFor } from '../src/lib/wait.ts';
import { ok, removeDir, startFarmProcess } from './helpers/farm-process.ts';
import { run } from './helpers/acme-farm.ts';

test('corral up with ACME: site create --tls auto → a verified HTTPS 200; cert list and cert status show it', { skip: pebbleMissing() }, async (t) => {
  const [httpPort, httpsPort] = await freePorts(2);
  const pebble = await startPebble(t, { httpPort: httpPort!, tlsPort: httpsPort! });
  const work = await mkdtemp(join(tmpdir(), 'corral-acme-cli-'));
  t.after(() => removeDir(work));
  await writeFile(join(work, 'pebble-ca.pem'), pebble.caPem);
  const farm = await startFarmProcess({
    extraArgs: ['--http-port', String(httpPort), '--https-port', String(httpsPort), '--router-workers', '2', '--acme-directory', pebble.directoryUrl, '--acme-ca-file', join(work, 'pebble-ca.pem'), '--acme-email', 'ops@corral.test'],
  });
  t.after(async () => {
    await farm.stop();
    await removeDir(farm.dir);
  });
  const site = join(work, 'site');
  await mkdir(site);
  await writeFile(join(site, 'index.html'), '<h1>shop</h1>\n');
  await ok(farm.cli(['customer', 'create', 'acme']));
  await ok(farm.cli(['site', 'create', 'shop', '--customer', 'acme', '--domain', 'shop.test', '--tls', 'auto']));
  await ok(farm.cli(['deploy', site, '--site', 'shop']));
  await writeFile(join(work, 'root.pem'), await pebble.root());
  const res = await waitFor(async () => {
    const r = await run('curl', ['-sS', '--max-time', '5', '--cacert', join(work, 'root.pem'), '--resolve', `shop.test:${httpsPort}:127.0.0.1`, `https://shop.test:${httpsPort}/`]);
    return r.code === 0 ? r : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'a verified HTTPS 200 for shop.test' });
  assert.match(res.body, /<h1>shop<\/h1>/);
  const list = await ok(farm.cli(['cert', 'list']));
  assert.match(list.stdout, /shop\s+auto\s+valid\s+Pebble/);
  const status = await ok(farm.cli(['cert', 'status', 'shop']));
  assert.match(status.stdout, /next renewal\s+\d{4}-/);
  assert.match(status.stdout, /names\s+shop\.test/);
  const json = JSON.parse((await ok(farm.cli(['cert', 'status', 'shop', '--json']))).stdout);
  assert.equal(json.certificate.source, 'acme');
  // the mode is a site setting like any other
  const set = await ok(farm.cli(['site', 'set', 'shop', '--tls', 'manual']));
  assert.match(set.stdout + set.stderr, /tls\s+manual/);
  const bad = await farm.cli(['site', 'set', 'shop', '--tls', 'on']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--tls must be auto, manual or off/);
});

