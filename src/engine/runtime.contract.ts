// The runtime contract: behaviour every Runtime (process, later namespace) must show.
// A runtime's test file calls runtimeContract() with a factory.

import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import type { Runtime } from './runtime.ts';
import { appSpec, onCleanup, httpGet, processAlive, readVsLog, tempDir, writeTestRelease } from './testing.ts';

/** Build a runtime whose state lives under base; the contract destroys it after each test. */
export type RuntimeFactory = (base: string) => Runtime;

export interface ContractOptions {
  /** Where the guest sees its data folder (namespace: /srv/data); default the spec's dataDir. */
  dataDirInGuest?: string;
  /** The VS runs in its own PID namespace: the app sees its own pid there, not the reported host pid. */
  pidNamespace?: boolean;
}

export function runtimeContract(name: string, make: RuntimeFactory, opts: ContractOptions = {}): void {
  async function setup(t: TestContext) {
    const base = await tempDir(t);
    await writeTestRelease(path.join(base, 'release'));
    const runtime = make(base);
    onCleanup(t, () => runtime.destroy());
    return { base, runtime };
  }

  describe(`runtime contract: ${name}`, () => {
    test('starts an app that serves HTTP on the reported address and port', async (t) => {
      const { base, runtime } = await setup(t);
      const vs = await runtime.start(appSpec(base, 'app-a'));
      assert.ok(vs.pid > 0);
      const res = await waitFor(() => httpGet(vs.address, vs.port, '/hi', 'test.example'), { what: 'app to answer' });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body) as { pid: number };
      assert.deepEqual(body, { vs: 'app-a', host: 'test.example', path: '/hi', pid: opts.pidNamespace ? body.pid : vs.pid });
      if (opts.pidNamespace) assert.ok(body.pid > 0 && body.pid < 10, `pid ${body.pid} inside the guest's PID namespace`);
    });

    test('stop sends SIGTERM and the app exits gracefully', async (t) => {
      const { base, runtime } = await setup(t);
      const spec = appSpec(base, 'app-b');
      const vs = await runtime.start(spec);
      await waitFor(() => httpGet(vs.address, vs.port), { what: 'app to answer' });
      await runtime.stop('app-b', 5_000);
      assert.deepEqual(await vs.exited, { code: 0, signal: null, oom: false });
      assert.match(await readFile(spec.logFile, 'utf8'), /got SIGTERM/);
    });

    test('stop SIGKILLs an app that ignores SIGTERM once the grace period is over', async (t) => {
      const { base, runtime } = await setup(t);
      const spec = appSpec(base, 'app-c', { IGNORE_TERM: '1' });
      const vs = await runtime.start(spec);
      await waitFor(() => httpGet(vs.address, vs.port), { what: 'app to answer' });
      const t0 = Date.now();
      await runtime.stop('app-c', 300);
      assert.ok(Date.now() - t0 >= 300, 'waited for the grace period');
      assert.deepEqual(await vs.exited, { code: null, signal: 'SIGKILL', oom: false });
      await waitFor(async () => /ignoring SIGTERM/.test(await readFile(spec.logFile, 'utf8')), { what: 'log line' });
    });

    test('stop of an unknown VS resolves', async (t) => {
      const { runtime } = await setup(t);
      await runtime.stop('nobody', 100);
    });

    test('exited resolves when the app crashes, and the name can be started again', async (t) => {
      const { base, runtime } = await setup(t);
      const spec = appSpec(base, 'app-d', { EXIT_AFTER_MS: '50' });
      const vs = await runtime.start(spec);
      assert.deepEqual(await vs.exited, { code: 3, signal: null, oom: false });
      const again = await waitFor(() => runtime.start({ ...spec, env: {} }).catch(() => undefined), { what: 'restart' });
      await waitFor(() => httpGet(again.address, again.port), { what: 'restarted app to answer' });
    });

    test('a VS name runs at most once', async (t) => {
      const { base, runtime } = await setup(t);
      await runtime.start(appSpec(base, 'app-e'));
      await assert.rejects(runtime.start(appSpec(base, 'app-e')), { code: 'ENGINE_VS_ALREADY_RUNNING' });
    });

    test('captures stdout and stderr in the log file', async (t) => {
      const { base, runtime } = await setup(t);
      const spec = appSpec(base, 'app-f');
      await runtime.start(spec);
      await waitFor(async () => {
        const text = await readFile(spec.logFile, 'utf8').catch(() => '');
        return /listening on/.test(text) && /stderr hello/.test(text);
      }, { what: 'stdout and stderr in the log' });
    });

    test('the app sees the site env and Corral variables, not the engine environment', async (t) => {
      const { base, runtime } = await setup(t);
      process.env.CORRAL_ENGINE_SECRET = 'do-not-leak';
      onCleanup(t, () => delete process.env.CORRAL_ENGINE_SECRET);
      const spec = appSpec(base, 'app-g', { PRINT_ENV: '1', GREETING: 'hello', CORRAL_RELEASE: 'r7' });
      const vs = await runtime.start(spec);
      const line = await waitFor(async () => (await readVsLog(spec.logFile)).split('\n').find((l) => l.startsWith('ENV ')), { what: 'env line' });
      const env = JSON.parse(line.slice(4)) as Record<string, string>;
      assert.equal(env.GREETING, 'hello');
      assert.equal(env.PORT, String(vs.port));
      assert.equal(env.HOST, vs.address);
      assert.equal(env.CORRAL_VS, 'app-g');
      assert.equal(env.CORRAL_SITE, 'testsite');
      assert.equal(env.CORRAL_RELEASE, 'r7');
      assert.equal(env.CORRAL_DATA_DIR, opts.dataDirInGuest ?? spec.dataDir);
      assert.equal(env.CORRAL_ENGINE_SECRET, undefined);
    });

    test('runs a static site through the web runtime, which answers its health check', async (t) => {
      const { base, runtime } = await setup(t);
      const root = path.join(base, 'static');
      await mkdir(root, { recursive: true });
      await writeFile(path.join(root, 'index.html'), '<h1>static hello</h1>');
      const spec = { ...appSpec(base, 'static-a'), kind: 'static' as const, command: undefined, releaseDir: root, domains: ['static.example'] };
      const vs = await runtime.start(spec);
      const health = await waitFor(() => httpGet(vs.address, vs.port, '/.corral/health', 'anything.example'), { what: 'web runtime health', timeoutMs: 20_000 });
      assert.equal(health.status, 200);
      const page = await httpGet(vs.address, vs.port, '/', 'static.example');
      assert.match(page.body, /static hello/);
    });

    test('destroy kills every VS and refuses new ones', async (t) => {
      const { base, runtime } = await setup(t);
      const a = await runtime.start(appSpec(base, 'app-h', { IGNORE_TERM: '1' }));
      const b = await runtime.start(appSpec(base, 'app-i'));
      await runtime.destroy();
      await runtime.destroy();
      assert.equal((await a.exited).signal, 'SIGKILL');
      assert.equal((await b.exited).signal, 'SIGKILL');
      assert.ok(!processAlive(a.pid) && !processAlive(b.pid));
      await assert.rejects(runtime.start(appSpec(base, 'app-j')), { code: 'ENGINE_RUNTIME_CLOSED' });
    });
  });
}
