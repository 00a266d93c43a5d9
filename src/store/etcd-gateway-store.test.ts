// The etcd store over the JSON gateway: the shared contract against a real 1-member etcd,
// what a cluster adds (a member dies under a watch: no gap, no duplicate), and what a
// JSON reader must survive (an answer that is not JSON, or not etcd's shape).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { storeConformance } from './conformance.ts';
import { strictlyIncreasing, WatchRecorder } from './conformance/harness.ts';
import { openEtcdGatewayStore } from './etcd-gateway-store.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from './etcd-testing.ts';
import { waitFor } from '../lib/wait.ts';

/** How often the lease holder in the member-loss test renews, as the router node's load record would. */
const RENEW_EVERY_MS = 500;

const skip = etcdMissing();
let etcd: EtcdCluster | undefined;
before(async () => {
  if (!skip) etcd = await startEtcdCluster({ members: 1 });
});
after(() => etcd?.close());

const endpoints = () => etcd?.endpoints ?? [];
let namespace = '';

if (skip) {
  it('etcd gateway store conformance', { skip }, () => {});
} else {
  storeConformance('etcd gateway', {
    open: () => openEtcdGatewayStore(endpoints(), { namespace: (namespace = `/test-${randomUUID()}`) }),
    reopen: () => openEtcdGatewayStore(endpoints(), { namespace }),
    fastLeases: false,
  });
}

describe('etcd gateway store', { skip }, () => {
  it('keeps namespaces apart', async (t) => {
    const a = await openEtcdGatewayStore(endpoints(), { namespace: '/gw-ns-a' });
    const b = await openEtcdGatewayStore(endpoints(), { namespace: '/gw-ns-b' });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.put('/k', 'a');
    assert.equal(await b.get('/k'), undefined);
    assert.deepEqual((await a.range('/')).kvs.map((kv) => kv.key), ['/k']);
  });

  it('reports a watch from a compacted revision as STORE_COMPACTED', async (t) => {
    const s = await openEtcdGatewayStore(endpoints(), { namespace: `/c-${randomUUID()}` });
    t.after(() => s.close());
    const { revision: old } = await s.put('/a', '1');
    const { revision } = await s.put('/a', '2');
    await compact(endpoints()[0] as string, revision);
    const rec = await WatchRecorder.start(t, s, '/', { fromRevision: old });
    await rec.until((r) => r.errors.length > 0, 'the compaction error');
    assert.equal((rec.errors[0] as { code?: string }).code, 'STORE_COMPACTED');
    assert.equal(rec.batches.length, 0);
  });

  it('fails fast with STORE_UNAVAILABLE when no member answers', async () => {
    await assert.rejects(openEtcdGatewayStore(['127.0.0.1:1'], { callTimeoutMs: 500 }), { code: 'STORE_UNAVAILABLE' });
  });
});

describe('etcd gateway store on a 3-member cluster', { skip }, () => {
  it('a watch survives members dying and coming back: every revision once, in order', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await openEtcdGatewayStore(cluster.endpoints, { namespace: '/ha' });
    t.after(() => s.close());
    const rec = await WatchRecorder.start(t, s, '/');
    const written: number[] = [];
    const write = async (i: number) => {
      // A write may fail while a member is gone; what was acknowledged must be delivered.
      try {
        written.push((await s.put(`/k${i % 5}`, String(i))).revision);
      } catch {
        /* not acknowledged */
      }
    };
    let i = 0;
    for (const m of cluster.members) {
      for (let j = 0; j < 20; j++) await write(i++);
      await m.stop('SIGKILL');
      for (let j = 0; j < 20; j++) await write(i++);
      await m.start();
    }
    const last = Math.max(...written);
    await rec.until((r) => (r.batches.at(-1)?.revision ?? 0) >= last || r.errors.length > 0, `watch batch at revision ${last}`, 20_000);
    assert.deepEqual(rec.errors, []);
    const revs = rec.batches.map((b) => b.revision);
    assert.ok(strictlyIncreasing(revs), 'in order, no duplicate');
    for (const r of written) assert.ok(revs.includes(r), `acknowledged revision ${r} delivered`);
    assert.ok(written.length >= 100, `most writes acknowledged (${written.length}/120)`);
  });
});

describe('etcd gateway store on a 3-member cluster: leases', { skip }, () => {
  it('keep-alives, reads and writes go on while any one member is dead: none fails, the lease lives', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await openEtcdGatewayStore(cluster.endpoints, { namespace: '/keep' });
    t.after(() => s.close());
    const lease = await s.grantLease(2);
    await s.put('/held', 'x', { lease });
    const failures: string[] = [];
    let calls = 0;
    let running = true;
    // A holder renewing every 500 ms, as the router node's load record does, and using the store.
    const holder = (async () => {
      while (running) {
        try {
          const ttl = await s.keepAlive(lease);
          if (ttl <= 0) failures.push(`lease gone (ttl ${ttl})`);
          await s.put('/k', String(calls));
          await s.get('/k');
          calls++;
        } catch (err) {
          failures.push((err as Error).message);
        }
        // the holder's renewal cadence (a quarter of the 2 s lease), not a wait for readiness
        await new Promise((resolve) => setTimeout(resolve, RENEW_EVERY_MS));
      }
    })();
    const raftLeader = (await cluster.leader())!;
    for (const m of [raftLeader, ...cluster.members.filter((x) => x !== raftLeader)]) {
      const before = calls;
      await m.stop('SIGKILL');
      await waitFor(() => calls >= before + 6, { what: `six rounds without ${m.name}`, timeoutMs: 20_000 });
      await m.start();
    }
    running = false;
    await holder;
    assert.deepEqual(failures, []);
    assert.equal((await s.get('/held'))?.lease, lease, 'the key still on its lease');
  });
});

describe('etcd gateway store: close', { skip }, () => {
  it('ends its watches and sockets and leaves no timer behind', async () => {
    const resources = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const baseline = resources();
    const s = await openEtcdGatewayStore(endpoints(), { namespace: `/close-${randomUUID()}` });
    const events: number[] = [];
    await s.watch('/', (_e, revision) => events.push(revision));
    await s.watch('/other/', () => {});
    const lease = await s.grantLease(5);
    await s.keepAlive(lease);
    const { revision } = await s.put('/a', '1', { lease });
    await waitFor(() => events.includes(revision), { what: 'the watch event' });
    assert.ok(resources() > baseline, 'the watches hold sockets');
    await s.close();
    await waitFor(() => resources() <= baseline, { what: 'sockets and timers gone' });
    await s.close();
    await assert.rejects(s.get('/a'), { code: 'STORE_CLOSED' });
  });
});

describe('etcd gateway store against a gateway that answers nonsense', () => {
  const header = { header: { revision: '7' } };

  it('a call whose answer is not JSON, or not etcd’s shape, rejects with STORE_BAD_RESPONSE', async (t) => {
    const answers: [number, string][] = [
      [200, '<html>proxy login</html>'],
      [200, '"a string"'],
      [200, JSON.stringify({ header: { revision: 'seven' } })],
      [200, JSON.stringify({ ...header, kvs: { key: 'L2E=' } })],
      [200, JSON.stringify({ ...header, kvs: [{ key: 'not base64!', mod_revision: '3' }] })],
      [200, JSON.stringify({ ...header, kvs: [{ value: 'aGk=' }] })],
      [502, 'Bad Gateway'],
      [500, JSON.stringify({ unexpected: true })],
    ];
    let next = 0;
    // The first answer is good, so the store opens; each get then meets the next bad one.
    const url = await fakeGateway(t, (_req, res) => {
      if (next === 0) {
        next++;
        return res.end(JSON.stringify(header));
      }
      const [status, body] = answers[(next++ - 1) % answers.length] as [number, string];
      res.writeHead(status).end(body);
    });
    const s = await openEtcdGatewayStore([url], { callTimeoutMs: 1000 });
    t.after(() => s.close());
    for (const [status, body] of answers) {
      await assert.rejects(s.range('/a'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORE_BAD_RESPONSE', `${status} ${body}: ${err.message}`);
        assert.match(err.message, /etcd's answer could not be read \(.+\)/);
        return true;
      });
    }
  });

  it('a watch stream that turns to nonsense stops with STORE_BAD_RESPONSE through onError', async (t) => {
    const url = await fakeGateway(t, (req, res) => {
      if (req.url !== '/v3/watch') return res.end(JSON.stringify(header));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ result: { ...header, created: true } })}\n`);
      res.write(`${JSON.stringify({ result: { ...header, events: [{ kv: { key: 'L2E=', mod_revision: '8', value: 'aGk=' } }] } })}\n`);
      res.write('{"result": {"events": [{"kv": 42}]}}\n');
    });
    const s = await openEtcdGatewayStore([url], { callTimeoutMs: 1000 });
    t.after(() => s.close());
    const rec = await WatchRecorder.start(t, s, '/', { fromRevision: 8 });
    await rec.until((r) => r.errors.length > 0, 'the watch error');
    assert.deepEqual(rec.log, ['put /a']);
    assert.equal((rec.errors[0] as { code?: string }).code, 'STORE_BAD_RESPONSE');
  });

  it('an error etcd names in an answer keeps its meaning: lease not found, no leader', async (t) => {
    const url = await fakeGateway(t, (req, res) => {
      if (req.url === '/v3/lease/revoke') return res.writeHead(404).end(JSON.stringify({ error: 'etcdserver: requested lease not found', message: 'etcdserver: requested lease not found', code: 5 }));
      if (req.url === '/v3/kv/put') return res.writeHead(503).end(JSON.stringify({ error: 'etcdserver: no leader', message: 'etcdserver: no leader', code: 14 }));
      res.end(JSON.stringify(header));
    });
    const s = await openEtcdGatewayStore([url], { callTimeoutMs: 400, attemptTimeoutMs: 100 });
    t.after(() => s.close());
    await assert.rejects(s.revokeLease(12), { code: 'STORE_LEASE_NOT_FOUND' });
    await assert.rejects(s.put('/a', 'x'), { code: 'STORE_UNAVAILABLE' });
  });
});

/** Compact etcd's history up to revision, through the gateway. */
async function compact(endpoint: string, revision: number): Promise<void> {
  const res = await fetch(`${endpoint}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
  assert.equal(res.status, 200, await res.text());
}

/** An HTTP server on a free port standing in for etcd's gateway; closed when the test ends. */
async function fakeGateway(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  t.after(() => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
