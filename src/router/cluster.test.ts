import { test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { request } from 'node:http';
import { waitFor } from '../lib/wait.ts';
import { startRouterCluster } from './cluster.ts';
import { route, startBackend } from './testing.ts';

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

  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
  process.kill(pids[0]!, 'SIGKILL');
  await waitFor(() => Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead()).length === 2 && !Object.values(cluster.workers ?? {}).some((w) => w!.process.pid === pids[0]), {
    what: 'a replacement worker',
  });
  await waitFor(async () => {
    for (let i = 0; i < 20; i++) if ((await get(rc.port, 's.test').catch(() => ({ body: '' }))).body !== 'b') return false;
    return true;
  }, { what: 'the replacement to serve the current table' });
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
