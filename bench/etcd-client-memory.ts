// What loading the etcd client costs a process, run with `node --import tsx
// bench/etcd-client-memory.ts`: V8 heap in use and RSS (after two full collections) with
// nothing loaded, after importing etcd3 (grpc-js, protobufjs, etcd's protos) and after
// making a client (no connection is made). The baseline a router node's primary pays
// before it reads a key (docs/router-node-store.md).
import { processGc } from '../src/lib/heap-settle.ts';

const gc = processGc();
if (!gc) throw new Error('no gc(): run with node --import tsx');
const sample = (what: string) => {
  gc();
  gc();
  const u = process.memoryUsage();
  console.log(`  ${what.padEnd(26)} heap ${(u.heapUsed / 1e6).toFixed(1).padStart(5)} MB, RSS ${(u.rss / 1e6).toFixed(1).padStart(5)} MB`);
};
console.log('etcd client memory (this process; tsx itself is loaded in every line):');
sample('nothing more loaded');
const { Etcd3 } = await import('etcd3');
sample('etcd3 imported');
const client = new Etcd3({ hosts: '127.0.0.1:1' });
sample('a client made');
client.close();
