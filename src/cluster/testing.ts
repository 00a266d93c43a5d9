// Tests only: the start of a farm on etcd (one etcd member, controller c1, an admin API
// client, a join token), and an engine e1 joined to it on the namespace runtime with its
// own test bridge; a host that takes connections and never answers, and one nobody
// listens for (a role's API down); a site's logs followed. Everything is closed when the
// test ends.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { captureLog } from '../lib/log-testing.ts';
import { createShutdownStack, type ShutdownStack } from '../lib/shutdown-stack.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { testNetwork } from '../engine/namespace/testing.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';
import { startEtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, type ControllerNode } from './controller-node.ts';
import { startEngineNode, type EngineNode, type EngineNodeOptions } from './engine-node.ts';
import { apiOf, type Api } from '../../test/helpers/cluster-api.ts';

export interface EtcdFarm {
  /** The test's folder: the controller's is <root>/c1, an engine's <root>/<id>. */
  root: string;
  controller: ControllerNode;
  admin: Api;
  joinToken: string;
}

export async function startEtcdFarm(t: TestContext, prefix: string): Promise<EtcdFarm> {
  const root = await tempDir(t, prefix);
  const etcd = await startEtcdCluster({ members: 1 });
  onCleanup(t, () => etcd.close());
  const controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: `${root}/c1`, apiPort: 0, host: '127.0.0.1', log: silentLogger });
  onCleanup(t, () => controller.close());
  const admin = apiOf(() => [controller.apiUrl], controller.adminToken);
  const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
  return { root, controller, admin, joinToken };
}

/** Engine e1 on the namespace runtime, published on 127.0.0.1; `network` is its guests' bridge. */
export async function startNamespaceEngine(t: TestContext, farm: EtcdFarm, extra: Partial<EngineNodeOptions> = {}): Promise<{ engine: EngineNode; network: { bridge: string; subnet: string } }> {
  const network = await testNetwork(t);
  const engine = await startEngineNode({
    join: farm.controller.apiUrl, token: farm.joinToken, id: 'e1', dir: `${farm.root}/e1`, address: '127.0.0.1', runtime: 'namespace', ...network, log: silentLogger, ...extra,
  });
  onCleanup(t, () => engine.close());
  return { engine, network };
}

/**
 * A shutdown stack with a SQLite store at its bottom, in a temp folder `prefix*`, and the
 * names of the steps it ran, in order (read from its log). The test's end closes the stack
 * (or destroys it: `end`), then the folder goes.
 */
export async function stackOverStore(t: TestContext, prefix: string, end: 'close' | 'destroy' = 'close'): Promise<{ dir: string; stack: ShutdownStack; store: Store; steps: () => string[] }> {
  const { log, records } = captureLog();
  const dir = await tempDir(t, prefix);
  const stack = createShutdownStack(log);
  onCleanup(t, () => stack[end]()); // before the folder goes
  const store = await openSqliteStore(join(dir, 'store.db'));
  stack.push('store', () => store.close());
  return { dir, stack, store, steps: () => records().flatMap((r) => (typeof r.step === 'string' && r.step !== '' ? [r.step] : [])) };
}

/** A listener on loopback that takes connections and never answers (a hung host); its URL. */
export async function silentServer(t: TestContext): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => void sockets.add(s));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  onCleanup(t, () => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL nobody listens on (a port taken, then given back). */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return `http://127.0.0.1:${port}`;
}

/** GET a site's logs with follow (and `query`, e.g. source=router), its text so far; the request ends with the test. */
export async function followLogs(t: TestContext, apiUrl: string, token: string, site: string, query = ''): Promise<{ text: () => string }> {
  const req = request(`${apiUrl}/v1/sites/${site}/logs?follow=true${query ? `&${query}` : ''}`, { agent: false, headers: { authorization: `Bearer ${token}` } });
  onCleanup(t, () => req.destroy());
  const [res] = (await once(req.end(), 'response')) as [IncomingMessage];
  assert.equal(res.statusCode, 200);
  let text = '';
  res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}
