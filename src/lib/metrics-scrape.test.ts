// A scrape answered piece by piece (metrics-scrape.ts), over a real HTTP server on
// loopback: the body is the registries' texts joined; a registry that fails before its
// first piece is a 500 and is logged, and so is one that gives its text whole after a
// streamed one (it is read first); HEAD gets the headers alone; a client that goes
// away mid-answer stops the pieces being made (nothing more is built for nobody) and
// logs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { waitFor } from './wait.ts';
import { sendScrape, streamText } from './metrics-scrape.ts';

/** A registry that makes `count` pieces of `size` characters, counting what it made; `fail` throws before the first. */
function piecesRegistry(count: number, size: number, fail = false): Registry & { made: number; stopped: boolean } {
  const r = Object.assign(new Registry(), { made: 0, stopped: false });
  Object.assign(r, {
    async *[streamText]() {
      try {
        if (fail) throw new Error('no figures');
        for (let i = 0; i < count; i++) {
          r.made++;
          yield `${String(i % 10).repeat(size - 1)}\n`;
        }
      } finally {
        r.stopped = true;
      }
    },
  });
  return r;
}

async function serve(registries: () => Registry[], errors: unknown[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => void sendScrape(res, registries(), { head: req.method === 'HEAD', onError: (err) => errors.push(err) }));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((ok, fail) => {
    request({ host: '127.0.0.1', port, path: '/metrics', method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      res.on('error', fail);
    }).on('error', fail).end();
  });
}

test('a scrape answers the registries\' texts joined, HEAD the headers alone, a failure before the first piece a 500', async (t) => {
  const plain = new Registry();
  new Counter({ name: 'x_total', help: 'x', registers: [plain] }).inc(3);
  const pieces = piecesRegistry(40, 1000);
  const errors: unknown[] = [];
  let registries = [plain, pieces] as Registry[];
  const { server, port } = await serve(() => registries, errors);
  t.after(() => server.close());

  const got = await get(port);
  assert.equal(got.status, 200);
  assert.equal(got.type, plain.contentType);
  const expected = `${await plain.metrics()}\n${Array.from({ length: 40 }, (_, i) => `${String(i % 10).repeat(999)}\n`).join('')}`;
  assert.equal(got.body, expected);

  const head = await get(port, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');

  registries = [piecesRegistry(1, 10, true)];
  const failed = await get(port);
  assert.equal(failed.status, 500);
  assert.equal(failed.body, 'collecting metrics failed\n');
  assert.equal(errors.length, 1, 'the failure is logged');

  // a registry that gives its text whole is read before the first piece of any other: its failure is a 500 too
  const down = new (class extends Registry {
    override metrics(): Promise<string> {
      return Promise.reject(new Error('the store is down'));
    }
  })();
  const before = piecesRegistry(40, 1000);
  registries = [before, down];
  const cut = await get(port);
  assert.equal(cut.status, 500);
  assert.equal(before.made, 0, 'no piece was made');
  assert.equal(errors.length, 2);
});

test('a client gone mid-answer stops the pieces being made, and nothing is logged', async (t) => {
  const pieces = piecesRegistry(100_000, 64 * 1024); // ≈ 6.5 GB if it were all made
  const errors: unknown[] = [];
  const { server, port } = await serve(() => [pieces], errors);
  t.after(() => server.close());
  await new Promise<void>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 1024 * 1024) {
          req.destroy();
          ok();
        }
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : fail(err)));
    req.end();
  });
  await waitFor(() => pieces.stopped, { timeoutMs: 10_000, what: 'the pieces stopped' });
  assert.ok(pieces.made < 200, `${pieces.made} pieces made: the client's reads pace them`);
  assert.deepEqual(errors, []);
});
