// An idle keep-alive connection stays open past Node's default 5 s (KEEP_ALIVE_MS): the
// engine checks a VS every 10 s, then every 30 s once steady, over one kept connection, and a shorter timeout would make
// every check a new connection. Tried as the engine's check does it: one request, the
// connection left idle for 6 s, then a second request on the same connection.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { KEEP_ALIVE_MS } from './web-server.ts';
import { startWebServer, tempSiteDir } from './testing.ts';

const HEALTH = 'GET /.corral/health HTTP/1.1\r\nhost: any.test\r\n\r\n';

test('an idle keep-alive connection outlives Node\'s default 5 s and carries the next check', async (t) => {
  // the engine's steady check interval (30 s), its 1 s tick and a check's 2 s timeout; below the engine's 60 s idle close
  assert.ok(KEEP_ALIVE_MS > 33_000 && KEEP_ALIVE_MS < 60_000, `${KEEP_ALIVE_MS} ms: above the engine's steady check interval, below its idle close`);
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, { 'index.html': 'hi' }) }]);
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  let text = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('close', () => (closed = true));
  const answers = (n: number) => new Promise<void>((resolve, reject) => {
    const check = () => ((text.match(/HTTP\/1\.1 200 /g) ?? []).length >= n ? resolve() : closed ? reject(new Error(`closed after ${JSON.stringify(text)}`)) : setTimeout(check, 10));
    check();
  });
  socket.write(HEALTH);
  await answers(1);
  await new Promise((r) => setTimeout(r, 6_000)); // idle past Node's default keep-alive timeout: the point of the test, not a wait for readiness
  assert.equal(closed, false, 'the server kept the idle connection');
  socket.write(HEALTH);
  await answers(2);
});
