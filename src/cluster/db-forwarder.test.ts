// The forwarder on real sockets: to whichever primary it is told, none → closed at once,
// and cut() ends every connection still open to the old one.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, it } from 'node:test';
import { startDbForwarder } from './db-forwarder.ts';
import type { DbEndpoint } from './db-primary.ts';

const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A TCP server answering every line with its name, on loopback. */
async function backend(name: string): Promise<DbEndpoint> {
  const srv = net.createServer((s) => s.on('data', () => s.write(`${name}\n`)));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, member: name };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function ask(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d) => resolve(d.toString().trim()));
    s.write('who\n');
  });
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

it('forwards to the current primary, closes at once with none, and cuts the old primary\'s connections', async () => {
  const a = await backend('a');
  const b = await backend('b');
  let primary: DbEndpoint | undefined;
  const fwd = await startDbForwarder({ host: '127.0.0.1', port: 0, primary: () => primary });
  try {
    const none = await connect(fwd.port);
    await closed(none); // no primary: the client's retry is what waits

    primary = a;
    const onA = await connect(fwd.port);
    assert.equal(await ask(onA), 'a');
    primary = b;
    fwd.cut();
    await closed(onA);
    const onB = await connect(fwd.port);
    assert.equal(await ask(onB), 'b');
    onB.destroy();
  } finally {
    await fwd.close();
    await fwd.close(); // twice is safe
  }
});
