import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { waitFor } from '../lib/wait.ts';
import { FRONTS, route, startBackend, startRouter } from './testing.ts';

// Every case runs on the plain listener and on the HTTPS one (HTTP/1.1, the raw front after the handshake).

for (const kind of FRONTS) {
  test(`a chunked response arrives chunk by chunk, not buffered (${kind})`, async (t) => {
    let backendRes: ServerResponse | undefined;
    const b = await startBackend(t, 'stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('first\n');
      backendRes = res;
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const res = await r.open({ host: 's.test' }).res;
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    res.setEncoding('utf8');
    const [first] = (await once(res, 'data')) as [string];
    assert.equal(first, 'first\n'); // the backend has not finished: nothing waited for the end
    backendRes!.end('second\n');
    const [second] = (await once(res, 'data')) as [string];
    assert.equal(second, 'second\n');
  });

  test(`response headers are sent before the first body byte (${kind})`, async (t) => {
    let backendRes: ServerResponse | undefined;
    const b = await startBackend(t, 'slow', (_req, res) => {
      res.writeHead(200, { 'x-ready': 'yes' });
      res.flushHeaders();
      backendRes = res;
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const res = await r.open({ host: 's.test' }).res;
    assert.equal(res.headers['x-ready'], 'yes');
    backendRes!.end();
  });

  test(`a request body streams through before the client has finished sending it (${kind})`, async (t) => {
    const b = await startBackend(t, 'echo', (req, res) => {
      res.writeHead(200);
      req.pipe(res);
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const { req, res: response } = r.open({ host: 's.test', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, stream: true });
    req.write('ping-1;');
    const res = await response;
    res.setEncoding('utf8');
    const [echo] = (await once(res, 'data')) as [string];
    assert.equal(echo, 'ping-1;');
    req.end('ping-2;');
    const [echo2] = (await once(res, 'data')) as [string];
    assert.equal(echo2, 'ping-2;');
  });

  test(`a client that goes away aborts the upstream request (${kind})`, async (t) => {
    const upstreamClosed: Array<IncomingMessage> = [];
    const b = await startBackend(t, 'slow', (req, res) => {
      res.writeHead(200);
      res.write('partial');
      res.on('close', () => upstreamClosed.push(req));
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const { req, res } = r.open({ host: 's.test' });
    await once(await res, 'data');
    req.destroy();
    await waitFor(() => upstreamClosed.length === 1, { what: 'the upstream request to be aborted' });
  });

  test(`an upstream that breaks off mid-body cuts off the client response (${kind})`, async (t) => {
    const b = await startBackend(t, 'crash', (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setImmediate(() => req.socket.destroy());
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const res = await r.open({ host: 's.test' }).res;
    assert.equal(res.statusCode, 200);
    const outcome = await new Promise<string>((resolve) => {
      res.on('error', () => resolve('error'));
      res.on('aborted', () => resolve('aborted'));
      res.on('end', () => resolve('end'));
      res.resume();
    });
    assert.notEqual(outcome, 'end');
  });

  test(`a slow client applies backpressure instead of buffering the whole body (${kind})`, async (t) => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const b = await startBackend(t, 'big', (_req, res) => {
      res.writeHead(200);
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const res = await r.open({ host: 's.test' }).res;
    res.pause();
    // Let the pipes fill up; the backend must stall far short of the whole 64 MiB.
    await waitFor(
      async () => {
        const before = written;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return written === before && written > 0;
      },
      { what: 'the backend to stall' },
    );
    assert.ok(written < 32 * 1024 * 1024, `backend wrote ${written} bytes to a paused client`);
    res.destroy();
  });
}
