import { test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { request } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { holdsFor, waitFor } from '../../lib/wait.ts';
import { startRouterCluster, WORKER_SEMI_SPACE_MB, workerExecArgv } from './cluster.ts';
import { route, startBackend } from '../testing.ts';

/** One request on a fresh connection (so the kernel may hand it to any worker). */
function get(port: number, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, headers: { ...headers, host, connection: 'close' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('router workers share the port, take new tables without a restart, and are replaced when they die', async (t) => {
  const a = await startBackend(t, 'a');
  const b = await startBackend(t, 'b');
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, routes: [route('s', ['s.test'], [a])] });
  t.after(() => rc.close(2_000));
  assert.equal(rc.workers, 2);
  assert.equal((await get(rc.port, 's.test')).body, 'a');

  rc.setRoutes([route('s', ['s.test'], [b])]);
  // every worker has the new table once 20 fresh connections in a row all reach b
  await waitFor(async () => {
    for (let i = 0; i < 20; i++) if ((await get(rc.port, 's.test')).body !== 'b') return false;
    return true;
  }, { what: 'every worker to route to b' });

  // under load: the replacement worker serves only once it has the current table (never a 404)
  const statuses: Array<number | string> = [];
  let loading = true;
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (loading) statuses.push(await get(rc.port, 's.test').then((r) => r.status, (err: Error) => err.message));
  }));
  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
  process.kill(pids[0]!, 'SIGKILL');
  await waitFor(() => Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead()).length === 2 && !Object.values(cluster.workers ?? {}).some((w) => w!.process.pid === pids[0]), {
    what: 'a replacement worker',
  });
  await waitFor(async () => {
    for (let i = 0; i < 20; i++) if ((await get(rc.port, 's.test').catch(() => ({ body: '' }))).body !== 'b') return false;
    return true;
  }, { what: 'the replacement to serve the current table' });
  loading = false;
  await load;
  assert.ok(statuses.filter((s) => s === 200).length > 20, 'load went on');
  assert.deepEqual(statuses.filter((s) => typeof s === 'number' && s !== 200), [], 'no 404 (nor any error status) while a worker was replaced');
});

test('router workers take the trusted proxies from the router options', async (t) => {
  const a = await startBackend(t, 'a');
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, router: { trustedProxies: ['127.0.0.0/8'] }, routes: [route('s', ['s.test'], [a])] });
  t.after(() => rc.close(2_000));
  for (let i = 0; i < 10; i++) assert.equal((await get(rc.port, 's.test', { 'x-forwarded-for': '203.0.113.7' })).body, 'a');
  for (const seen of a.seen) {
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'the trusted peer extends the chain');
    assert.equal(seen.headers['x-real-ip'], '203.0.113.7');
  }
});

test('abandonEndpoints reaches every worker: a GET held by a silent endpoint is retried at once', async (t) => {
  const sockets = new Set<Socket>();
  let requests = 0;
  const silent = createTcpServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.once('data', () => requests++);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const sock of sockets) sock.destroy();
    silent.close();
  });
  const silentEp = { vs: 'silent', address: '127.0.0.1', port: (silent.address() as AddressInfo).port, release: 'r1' };
  const b = await startBackend(t, 'b');
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, routes: [route('s', ['s.test'], [silentEp, b])] });
  t.after(() => rc.close(2_000));
  // each worker balances on its own: hold requests on the silent endpoint until some are stuck there
  const held: Array<Promise<{ status: number; body: string }>> = [];
  while (requests < 2) {
    const before = requests;
    const reply = get(rc.port, 's.test');
    const stuck = await Promise.race([reply.then(() => false), waitFor(() => requests > before, { what: 'a request on the silent endpoint' }).then(() => true)]);
    if (stuck) held.push(reply);
  }
  rc.setRoutes([route('s', ['s.test'], [b])]);
  const cutAt = performance.now();
  rc.abandonEndpoints([silentEp]);
  for (const reply of await Promise.all(held)) assert.deepEqual(reply, { status: 200, body: 'b' });
  const ms = performance.now() - cutAt;
  assert.ok(ms < 1_000, `retried ${Math.round(ms)} ms after the endpoint was abandoned (per-try timeout: 5 s)`);
});

test("a worker too slow to report (stopped with SIGSTOP) still counts what it had open; its exit drops it", async (t) => {
  const sockets = new Set<Socket>();
  const silent = createTcpServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const sock of sockets) sock.destroy();
    silent.close();
  });
  const silentEp = { vs: 'silent', address: '127.0.0.1', port: (silent.address() as AddressInfo).port, release: 'r1' };
  const rc = await startRouterCluster({ workers: 1, listen: { port: 0, host: '127.0.0.1' }, routes: [route('s', ['s.test'], [silentEp])] });
  t.after(() => rc.close(2_000));
  const pending = get(rc.port, 's.test').catch(() => undefined); // held by the silent endpoint: one open request
  await waitFor(() => rc.takeLoad().s?.open === 1, { what: 'the open request reported' });
  const pid = Object.values(cluster.workers ?? {})[0]!.process.pid!;
  process.kill(pid, 'SIGSTOP');
  t.after(() => { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } });
  // its last report grows late (the primary's freshness is 2.5 report intervals: 2.5 s); a
  // duration, not a readiness: the figure must hold over it
  const from = Date.now();
  await holdsFor(() => assert.equal(rc.takeLoad().s?.open, 1, `the open request forgotten ${Date.now() - from} ms after the worker stopped reporting`), 3_500, 250);
  process.kill(pid, 'SIGKILL');
  await waitFor(() => rc.takeLoad().s === undefined, { what: 'the dead worker\'s report dropped' });
  await pending;
});

test('updateRoutes reaches every worker per site, and a worker forked later starts with the resulting table', async (t) => {
  const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, routes: [route('s', ['s.test'], [a]), route('o', ['o.test'], [a])] });
  t.after(() => rc.close(2_000));
  rc.updateRoutes({ put: [route('o', ['o.test'], [b]), route('n', ['n.test'], [b])], remove: ['s'] });
  const everyWorker = async () => {
    for (let i = 0; i < 20; i++) {
      const [o, n, s] = await Promise.all([get(rc.port, 'o.test'), get(rc.port, 'n.test'), get(rc.port, 's.test')]);
      if (o.body !== 'b' || n.body !== 'b' || s.status !== 404) return false;
    }
    return true;
  };
  await waitFor(everyWorker, { what: 'every worker to take the diff' });

  // both first workers replaced, one after the other: whatever answers now was forked after the diff
  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
  for (const pid of pids) {
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead()).length === 2 && !Object.values(cluster.workers ?? {}).some((w) => w!.process.pid === pid), {
      what: 'a replacement worker',
    });
  }
  await waitFor(async () => await everyWorker().catch(() => false), { what: 'the replacements to serve the diffed table' });
});

test("a worker's young generation is capped unless the operator's own flag says otherwise; its collector is exposed (heap-settle.ts); inline scripts are not passed on", () => {
  const cap = `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`;
  const gc = '--expose-gc';
  const js = (argv: string[]) => argv.filter((a) => a !== '--import' && !a.includes('tsx')); // the source run under tsx loads it first
  assert.deepEqual(js(workerExecArgv([], '')), [gc, cap]);
  assert.deepEqual(js(workerExecArgv(['--enable-source-maps', '-e', 'x()', '--print=1'], '')), [gc, cap, '--enable-source-maps']);
  assert.deepEqual(js(workerExecArgv(['--max-semi-space-size=8'], '')), [gc, '--max-semi-space-size=8']);
  assert.deepEqual(js(workerExecArgv(['--max_semi_space_size', '8', '--expose_gc'], '')), ['--max_semi_space_size', '8', '--expose_gc']);
  assert.deepEqual(js(workerExecArgv([], '--max-old-space-size=100 --max-semi-space-size=16')), [gc]);
});

test('a worker that exits while the primary writes to it never takes the primary down (EPIPE goes nowhere)', async (t) => {
  const a = await startBackend(t, 'a');
  const errors: unknown[] = [];
  const onError = (err: unknown) => void errors.push(err);
  process.on('uncaughtException', onError);
  t.after(() => process.off('uncaughtException', onError));
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, routes: [route('s', ['s.test'], [a])] });
  assert.equal((await get(rc.port, 's.test')).body, 'a');
  const workers = Object.values(cluster.workers ?? {}).map((w) => w!);
  for (const w of workers) w.process.kill('SIGKILL');
  // writes to channels whose other end is gone, before the primary has seen them close
  for (let i = 0; i < 200 && workers.some((w) => w.isConnected()); i++) {
    rc.setRoutes([route('s', ['s.test'], [a])]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rc.close(1_000);
  // any EPIPE would have surfaced by the next turns of the loop
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(errors.map(String), []);
});
