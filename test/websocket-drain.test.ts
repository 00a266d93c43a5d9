// End to end, as a user: a WebSocket-style tunnel (an HTTP upgrade to the example app's
// /echo) opened before a deploy stays connected and keeps echoing through the site's
// drain timeout after the switch, while new connections reach the new release; then the
// old server is stopped and the tunnel ends.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pace } from 'node:timers/promises';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const HOST = 'chat.acme.test';
const DRAIN_S = 4;

/** An upgraded connection read line by line. */
class Tunnel {
  #buf = '';
  #waiters: Array<() => void> = [];
  closedAt: number | undefined;
  constructor(readonly socket: Socket, head: Buffer) {
    this.#push(head);
    socket.on('data', (d: Buffer) => this.#push(d));
    socket.on('error', () => {});
    socket.once('close', () => {
      this.closedAt = Date.now();
      this.#wake();
    });
  }
  /** The next line, or undefined once the connection is closed. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.#buf.indexOf('\n');
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return line;
      }
      if (this.closedAt !== undefined) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }
  async echo(text: string): Promise<string | undefined> {
    this.socket.write(`${text}\n`);
    return this.line();
  }
  #push(d: Buffer): void {
    this.#buf += d.toString();
    this.#wake();
  }
  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

function openTunnel(routerUrl: string): Promise<Tunnel> {
  const u = new URL(routerUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/echo', headers: { host: HOST, connection: 'upgrade', upgrade: 'websocket' } });
    req.on('upgrade', (_res, socket, head) => resolve(new Tunnel(socket, head)));
    req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

describe('a deploy drains open WebSockets', () => {
  let farm: FarmProcess;
  let work = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-ws-'));
    farm = await startFarmProcess();
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'chat', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
      '--health', '/health', '--replicas', '1', '--domain', HOST, '--drain-timeout', String(DRAIN_S)]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'chat']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  /**
   * Opens a tunnel to the serving release `from`, runs `change`, and checks: new tunnels
   * reach `to`, the old one echoes through most of the drain timeout after the switch
   * while `corral vs list` shows its server draining, then it ends and the server goes.
   */
  async function drainsThrough(t: TestContext, from: string, to: string, change: () => Promise<unknown>): Promise<void> {
    const old = await openTunnel(farm.routerUrl);
    const [, oldVersion, oldVs] = (await old.line())?.split(' ') ?? [];
    assert.equal(oldVersion, from);
    assert.equal(await old.echo('before the switch'), 'before the switch');

    await change();
    await waitFor(async () => JSON.parse((await get(farm.routerUrl, HOST)).body).version === to, { what: `v${to} answers` });
    const switchedAt = Date.now();

    const fresh = await openTunnel(farm.routerUrl);
    const [, freshVersion, freshVs] = (await fresh.line())?.split(' ') ?? [];
    assert.equal(freshVersion, to, 'a new connection reaches the new release');
    assert.notEqual(freshVs, oldVs);

    // meanwhile `corral vs list` shows the old server draining
    const listed = waitFor(async () => {
      const { stdout } = await ok(farm.cli(['vs', 'list']));
      return new RegExp(`^${oldVs}\\s.*\\sdraining\\s`, 'm').test(stdout) ? stdout : undefined;
    }, { timeoutMs: DRAIN_S * 1000, what: 'the old server listed as draining' });
    listed.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    // most of the drain timeout: the old tunnel is open and echoes all along (a chat
    // client's pace, ten messages a second, not a busy loop on a shared machine)
    let n = 0;
    while (Date.now() - switchedAt < (DRAIN_S - 1) * 1000) {
      assert.equal(await old.echo(`ping ${++n}`), `ping ${n}`, `still open ${Date.now() - switchedAt} ms after the switch`);
      await pace(100);
    }
    assert.equal(old.closedAt, undefined);
    await listed;

    // then the old server is stopped, which ends the tunnel
    const ended = await waitFor(() => old.closedAt, { timeoutMs: 20_000, what: 'the old tunnel closed after the drain' });
    const openFor = ended - switchedAt;
    assert.ok(openFor >= (DRAIN_S - 1) * 1000, `closed ${openFor} ms after the switch`);
    t.diagnostic(`v${from} → v${to}: the old tunnel echoed ${n} times and closed ${openFor} ms after the switch (drain timeout ${DRAIN_S} s)`);
    await waitFor(async () => {
      const { virtualServers } = JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: { vs: string }[] };
      return !virtualServers.some((v) => v.vs === oldVs);
    }, { timeoutMs: 20_000, what: 'the old server gone' });
    assert.equal(await fresh.echo('after the drain'), 'after the drain', 'the new tunnel is untouched');
    fresh.socket.destroy();
  }

  it('a deploy: the tunnel to the old release echoes for the drain timeout after the switch, then closes; new tunnels reach the new release', async (t) => {
    const v2 = join(work, 'v2');
    await cp(join(REPO, 'examples', 'node-app'), v2, { recursive: true });
    await writeFile(join(v2, 'VERSION'), '2\n');
    await drainsThrough(t, '1', '2', () => ok(farm.cli(['deploy', v2, '--site', 'chat'])));
  });

  it('a rollback drains by the same rule', async (t) => {
    await drainsThrough(t, '2', '1', () => ok(farm.cli(['rollback', 'chat'])));
  });

  it('corral site set --drain-timeout changes it; a bad value is refused, naming the flag, and changes nothing', async () => {
    assert.match((await ok(farm.cli(['site', 'set', 'chat', '--drain-timeout', '90s']))).stdout, /^site chat: drain timeout 90s$/m);
    for (const [bad, message] of [['soon', /--drain-timeout must be a number of seconds/], ['3601', /--drain-timeout must be at most 3600 seconds/]] as const) {
      const r = await farm.cli(['site', 'set', 'chat', '--drain-timeout', bad]);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, message);
    }
    const { sites } = JSON.parse((await ok(farm.cli(['site', 'list', '--json']))).stdout) as { sites: { name: string; drainTimeoutMs?: number }[] };
    assert.equal(sites.find((s) => s.name === 'chat')?.drainTimeoutMs, 90_000);
  });
});
