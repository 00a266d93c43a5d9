// `corral deploy <folder>` packs the folder into a temporary file. Tried: a deploy stopped
// with Ctrl-C (SIGINT) and one with SIGTERM while the upload is under way, against an API that
// takes the body and never answers; the temporary folder must be empty afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../lib/wait.ts';
import { CORRAL_BIN } from '../cli-testing.ts';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`a deploy stopped by ${signal} during its upload leaves no packed tarball in the temporary folder`, async (t) => {
    const tmp = await mkdtemp(join(tmpdir(), 'corral-deploy-tmp-test-'));
    const site = await mkdtemp(join(tmpdir(), 'corral-deploy-site-'));
    t.after(() => Promise.all([rm(tmp, { recursive: true, force: true }), rm(site, { recursive: true, force: true })]));
    await writeFile(join(site, 'index.html'), 'hello');
    let received = 0;
    const api = createServer((req) => req.on('data', (c: Buffer) => (received += c.length))); // takes the body, never answers
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    t.after(() => api.close());
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const child = spawn(process.execPath, [CORRAL_BIN, '--api', url, '--token', 'x', 'deploy', site, '--site', 'blog', '--no-wait'], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    await waitFor(() => received > 0, { what: 'the upload under way', timeoutMs: 15_000 });
    child.kill(signal);
    const [code, sig] = await exited;
    assert.ok(code !== 0 || sig === signal, `the deploy ended by ${signal} (code ${String(code)}, signal ${String(sig)})`);
    assert.deepEqual(await readdir(tmp), [], 'nothing left in TMPDIR');
  });
}
