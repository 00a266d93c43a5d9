// A site's one server killed (SIGKILL: every connection the router kept to it resets at
// once) while GETs run, and started again at its address as its engine restarts a VS: no
// GET fails. The router's retry of a GET whose connection broke may land on the dying
// server once more (an idle connection it kept, or a new one its closing listener still
// took); that is the same death, not a query of death, and the GET waits for the server
// to come back (recover-holds.ts) instead of its 502. On both upstreams.

import { describe, it, type TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { waitFor } from '../lib/wait.ts';
import { route, startRouter } from './testing.ts';

const HOST = 's.test';
/** Kills a run: a break that the same death repeats is a race (a closing listener), not seen on every kill. */
const KILLS = 4;

// answers its pid after a short pause (requests are in flight when it is killed); port 0: any
const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => setTimeout(() => res.end(String(process.pid)), 2));
server.keepAliveTimeout = 30000;
server.listen(Number(process.argv[1]), '127.0.0.1', () => console.log(server.address().port));
`;

/** A server process on 127.0.0.1:port (0: any); resolves once it listens. */
async function serverProcess(t: TestContext, port: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['-e', SERVER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => proc.kill('SIGKILL'));
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { proc, port: Number(String(line).trim()) };
}

describe('a site\'s one server killed under GETs, restarted at its address', () => {
  for (const rawUpstream of [true, false]) {
    it(`fails no GET (${rawUpstream ? 'raw upstream' : 'undici'})`, async (t) => {
      const first = await serverProcess(t, 0);
      const endpoint = { vs: 'vs1', address: '127.0.0.1', port: first.port, release: 'r1' };
      const r = await startRouter(t, [route('s', [HOST], [endpoint])], { rawUpstream, startHoldMs: 10_000 });
      const statuses = new Map<number, number>();
      const pids = new Set<string>();
      let sent = 0;
      let stop = false;
      const loop = async () => {
        while (!stop) {
          sent++;
          const reply = await r.send({ host: HOST, path: `/${sent}` });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status === 200) pids.add(reply.body);
        }
      };
      const loops = Array.from({ length: 16 }, loop);
      await waitFor(() => sent >= 300, { what: 'GETs kept alive on many connections' });
      let server = first;
      for (let kill = 0; kill < KILLS; kill++) {
        const exited = once(server.proc, 'exit');
        server.proc.kill('SIGKILL');
        await exited;
        server = await serverProcess(t, first.port); // its engine restarts it at its address
        const pid = String(server.proc.pid);
        const before = sent;
        await waitFor(() => sent >= before + 300 && pids.has(pid), { what: 'GETs served by the restarted server' });
      }
      stop = true;
      await Promise.all(loops);
      assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
      assert.equal(pids.size, KILLS + 1, 'every server served');
    });
  }
});
