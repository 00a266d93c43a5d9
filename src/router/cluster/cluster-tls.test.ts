// HTTPS in the router cluster, with real worker processes on loopback: every worker serves
// the shared HTTPS port with the default certificate (EC) and SNI picks each site's own
// (EC or RSA; the client offers TLS 1.3, preferring ECDSA), and a
// certificate update from the primary reaches every worker without a restart. Which
// worker accepted a connection is read from /proc (the socket's owner), so "every worker"
// is seen, not assumed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { waitFor } from '../../lib/wait.ts';
import { selfSigned } from '../../lib/tls-testing.ts';
import { startRouterCluster, type RouterCluster } from './cluster.ts';
import { route, startBackend } from '../testing.ts';

interface Answer {
  /** The subject CN of the certificate the router presented. */
  cn: string;
  /** The worker process that accepted the connection. */
  pid: number;
  status: number;
  body: string;
}

/** One HTTP/1.1 request over a fresh TLS connection with SNI `host`. */
function httpsGet(port: number, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const cn = String(s.getPeerCertificate().subject.CN);
      let pid = 0;
      try {
        pid = ownerOf(port, s.localPort!);
      } catch (err) {
        reject(err as Error);
      }
      let raw = '';
      s.setEncoding('latin1');
      s.on('data', (c: string) => (raw += c));
      s.on('end', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
        resolve({ cn, pid, status, body: raw.slice(raw.indexOf('\r\n\r\n') + 4) });
      });
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    s.on('error', reject);
  });
}

/** The worker whose socket is the server end of the connection from clientPort to serverPort (Linux /proc). */
function ownerOf(serverPort: number, clientPort: number): number {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const line = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex(serverPort)}`) && f[2]?.endsWith(`:${hex(clientPort)}`));
  if (!line) throw new Error(`no server socket for the connection from port ${clientPort}`);
  const inode = `socket:[${line[9]}]`;
  for (const pid of livePids()) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === inode) return pid;
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  throw new Error(`no worker holds ${inode}`);
}

/** Fresh connections until every live worker has answered one; each answer is checked by `check`. */
async function fromEveryWorker(rc: RouterCluster, host: string, check: (a: Answer) => boolean, what: string): Promise<void> {
  const pids = new Set(livePids());
  assert.equal(pids.size, rc.workers);
  const seen = new Set<number>();
  await waitFor(async () => {
    const a = await httpsGet(rc.httpsPort!, host);
    if (!check(a)) {
      seen.clear(); // a worker that is not there yet: start counting again
      return false;
    }
    seen.add(a.pid);
    return [...pids].every((p) => seen.has(p));
  }, { timeoutMs: 10_000, intervalMs: 1, what });
}

function livePids(): number[] {
  return Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead()).map((w) => w!.process.pid!);
}

async function startTlsCluster(t: TestContext, routes: Parameters<typeof startRouterCluster>[0]['routes']) {
  const def = selfSigned(t, 'default.localhost', ['DNS:localhost']);
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, httpsListen: { port: 0, host: '127.0.0.1' }, router: { tls: def }, routes });
  t.after(() => rc.close(2_000));
  return rc;
}

test('every router worker serves HTTPS, SNI picking each site its own certificate; updates reach them all without a restart', async (t) => {
  const a = await startBackend(t, 'a');
  const b = await startBackend(t, 'b');
  const certA = selfSigned(t, 'a.test', ['DNS:a.test']);
  const certB = selfSigned(t, 'b.test', ['DNS:b.test'], { key: 'rsa' }); // an RSA site beside the EC default: served under TLS 1.3 too
  const rc = await startTlsCluster(t, [route('a', ['a.test'], [a]), route('b', ['b.test'], [b])]);
  assert.ok(rc.httpsPort! > 0 && rc.httpsPort !== rc.port, `HTTPS on its own port: ${rc.httpsPort} vs ${rc.port}`);
  const pids = livePids();

  // before any site certificate: the default one, and the request proxied
  await fromEveryWorker(rc, 'a.test', (x) => x.cn === 'default.localhost' && x.status === 200 && x.body === 'a', 'every worker on the default certificate');

  rc.setCertificates([{ site: 'a', ...certA }, { site: 'b', ...certB }]);
  await fromEveryWorker(rc, 'a.test', (x) => x.cn === 'a.test' && x.body === 'a', "every worker presenting a.test's certificate");
  await fromEveryWorker(rc, 'b.test', (x) => x.cn === 'b.test' && x.body === 'b', "every worker presenting b.test's certificate");
  await fromEveryWorker(rc, 'other.test', (x) => x.cn === 'default.localhost' && x.status === 404, 'an unknown name: the default certificate, 404');

  // an update: a's certificate goes, b's is replaced
  const certB2 = selfSigned(t, 'b2.test', ['DNS:b.test'], { key: 'rsa' });
  rc.setCertificates([{ site: 'b', ...certB2 }]);
  await fromEveryWorker(rc, 'a.test', (x) => x.cn === 'default.localhost' && x.body === 'a', 'every worker back on the default certificate for a.test');
  await fromEveryWorker(rc, 'b.test', (x) => x.cn === 'b2.test' && x.body === 'b', "every worker presenting b's new certificate");
  assert.deepEqual(livePids(), pids, 'no worker was restarted');
});

test('a restarted router worker serves HTTPS with the current certificates', async (t) => {
  const a = await startBackend(t, 'a');
  const certA = selfSigned(t, 'a.test', ['DNS:a.test']);
  const rc = await startTlsCluster(t, [route('a', ['a.test'], [a])]);
  rc.setCertificates([{ site: 'a', ...certA }]);
  const victim = Object.values(cluster.workers ?? {})[0]!.process.pid!;
  process.kill(victim, 'SIGKILL');
  await waitFor(() => Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead() && w!.process.pid !== victim).length === 2, { what: 'a replacement worker' });
  await fromEveryWorker(rc, 'a.test', (x) => x.cn === 'a.test' && x.body === 'a', 'the replacement presenting the current certificate');
});

test('HTTPS options are checked', async () => {
  await assert.rejects(startRouterCluster({ workers: 1, listen: { port: 0 }, httpsListen: { port: 0 } }), /httpsListen needs router\.tls/);
});
