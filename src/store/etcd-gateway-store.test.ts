// The etcd store over the JSON gateway: the cases both etcd stores run (etcd-cases.ts: the
// shared contract against a real 1-member etcd, then what a cluster adds), then that close()
// leaves nothing behind and what a JSON reader must survive (an answer that is not JSON,
// or not etcd's shape).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { WatchRecorder } from './conformance/harness.ts';
import { etcdStoreCases } from './etcd-cases.ts';
import { openEtcdGatewayStore } from './etcd-gateway-store.ts';

const { skip, endpoints } = etcdStoreCases('etcd gateway', openEtcdGatewayStore);

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
      [500, '<html>Internal Server Error</html>'],
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

  it('a proxy’s 502, 503 or 504 in front of a member passes calls and watches to the next member', async (t) => {
    let revision = 7;
    const proxy = (status: number) => fakeGateway(t, (_req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(`<html>${status}</html>`));
    const good = await fakeGateway(t, (req, res) => {
      if (req.url !== '/v3/watch') return res.end(JSON.stringify({ header: { revision: String(revision) } }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ result: { ...header, created: true } })}\n`);
      res.write(`${JSON.stringify({ result: { ...header, events: [{ kv: { key: 'L2E=', mod_revision: '8', value: 'aGk=' } }] } })}\n`);
    });
    for (const status of [502, 503, 504]) {
      const s = await openEtcdGatewayStore([await proxy(status), good], { callTimeoutMs: 2000 });
      t.after(() => s.close());
      revision++;
      assert.equal((await s.range('/a')).revision, revision, `a call after HTTP ${status}`);
      // a store of its own for the watch, so that it meets the proxy first too (the one above now prefers the good member)
      const w = await openEtcdGatewayStore([await proxy(status), good], { callTimeoutMs: 2000 });
      t.after(() => w.close());
      const rec = await WatchRecorder.start(t, w, '/', { fromRevision: 8 });
      await rec.until((r) => r.log.length > 0 || r.errors.length > 0, `the watch after HTTP ${status}`);
      assert.deepEqual([rec.log, rec.errors], [['put /a'], []]);
    }
  });

  it('a watch leaves a member that goes silent and does not answer its status, and stays on one that answers', async (t) => {
    // Each stand-in member: a watch stream that says "created", then nothing; a status answered or never.
    const member = (answersStatus: boolean) => {
      const seen = { watches: 0, statuses: 0 };
      const url = fakeGateway(t, (req, res) => {
        if (req.url === '/v3/watch') {
          seen.watches++;
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.write(`${JSON.stringify({ result: { ...header, created: true } })}\n`);
        }
        if (req.url === '/v3/maintenance/status') {
          seen.statuses++;
          if (!answersStatus) return; // hung
        }
        res.end(JSON.stringify(header));
      });
      return { url, seen };
    };
    const hung = member(false);
    const alive = member(true);
    // the member a watch should move to: its stream carries an event
    const next = await fakeGateway(t, (req, res) => {
      if (req.url !== '/v3/watch') return res.end(JSON.stringify(header));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ result: { ...header, created: true } })}\n`);
      res.write(`${JSON.stringify({ result: { ...header, events: [{ kv: { key: 'L2E=', mod_revision: '8', value: 'aGk=' } }] } })}\n`);
    });
    const opts = { callTimeoutMs: 2000, attemptTimeoutMs: 300, quietMs: 200 };
    const a = await openEtcdGatewayStore([await hung.url, next], opts);
    const b = await openEtcdGatewayStore([await alive.url, next], opts);
    t.after(() => Promise.all([a.close(), b.close()]));
    const onHung = await WatchRecorder.start(t, a, '/', { fromRevision: 8 });
    const onAlive = await WatchRecorder.start(t, b, '/', { fromRevision: 8 });
    await onHung.until((r) => r.log.length > 0 || r.errors.length > 0, 'the watch on the next member');
    assert.deepEqual([onHung.log, onHung.errors], [['put /a'], []]);
    assert.ok(hung.seen.statuses >= 1, 'the silent member was asked');
    // the member that answers its status keeps the watch, however long it stays quiet
    await waitFor(() => alive.seen.statuses >= 3, { what: 'three status questions to the quiet member' });
    assert.deepEqual([onAlive.log, onAlive.errors, alive.seen.watches], [[], [], 1]);
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

/** An HTTP server on a free port standing in for etcd's gateway; closed when the test ends. */
async function fakeGateway(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // one hook, connections cut first: hooks run in the order they were added, and close() waits for every connection to end
  t.after(() => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
