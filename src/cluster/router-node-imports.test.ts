// A router node (`corral router`) loads no etcd client: its store speaks etcd's JSON
// gateway, so grpc-js, protobufjs and etcd3 (≈ 20 MB of a process) stay out of it. Nor
// does it call the global fetch, whose first call loads Node's bundled undici and
// llhttp's WebAssembly (≈ 16 MB): it joins with node:http (src/lib/post-json.ts).
// Checked in a child process that loads what `corral router` loads (the command, the
// worker boot) and starts a router node against a stand-in controller, whose join answer
// points the store at a stand-in etcd that refuses every call: the node gets as far as
// opening its store. Then it lists the packages in the require cache (etcd3 and grpc-js
// are CommonJS, so loading them shows there) and whether Node loaded its undici
// (process.moduleLoadList), then loads the gRPC store and calls fetch, to show that the
// checks see them when they are loaded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';

const CLIENT = /node_modules\/(etcd3|@grpc\/grpc-js|protobufjs)\//;

const CHILD = (src: (path: string) => string) => `
  const { createServer } = await import('node:http');
  const { createRequire } = await import('node:module');
  const clients = () => [...new Set(Object.keys(createRequire(import.meta.url).cache).flatMap((k) => ${CLIENT}.exec(k)?.[1] ?? []))].sort().join(',');
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/v1/join') return res.end(JSON.stringify({ store: { kind: 'etcd', endpoints: [url] }, token: 't', controllers: [url] }));
    res.writeHead(400).end(JSON.stringify({ error: 'refused by the test', message: 'refused by the test', code: 3 }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = 'http://127.0.0.1:' + server.address().port;
  await import(${src('../cli/commands/router.ts')});
  await import(${src('./router-boot.ts')});
  const { startRouterNode } = await import(${src('./router-role.ts')});
  const { silentLogger } = await import(${src('../lib/log.ts')});
  const started = await startRouterNode({ join: url, token: 'x', id: 'r1', httpPort: 0, host: '127.0.0.1', workers: 1, log: silentLogger }).then(
    () => 'started',
    (err) => err.message,
  );
  const fetchLoaded = () => String(process.moduleLoadList.some((m) => m.includes('internal/deps/undici')));
  console.log(started);
  console.log(clients());
  console.log(fetchLoaded());
  await import(${src('../store/etcd-store.ts')});
  console.log(clients());
  await fetch(url + '/v1/join', { method: 'POST', body: '{}' }).then((r) => r.text());
  console.log(fetchLoaded());
  server.close();
`;

it('the router node loads neither etcd3, grpc-js nor fetch (and the checks see them when they are loaded)', async () => {
  const src = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  const out = await new Promise<string>((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', '-e', CHILD(src)], (err, stdout) => (err ? fail(err) : done(stdout))),
  );
  const [started, routerNode, nodeFetch, grpcStore, fetchCalled] = out.split('\n');
  assert.equal(routerNode, '', 'the router node loads no etcd client');
  assert.equal(nodeFetch, 'false', 'the router node loads no fetch');
  assert.equal(fetchCalled, 'true', 'fetch loads Node’s undici: the check would see it');
  assert.match(started ?? '', /refused by the test/, 'the node got as far as its store');
  assert.match(grpcStore ?? '', /etcd3/, 'the gRPC store loads etcd3: the check would see it');
});
