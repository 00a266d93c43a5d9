// A runtime whose virtual servers are reached on one published address. The namespace
// runtime puts each guest on the engine's private bridge (10.213.x.y), which only this
// host can reach; an engine of a farm on many hosts is reached by routers elsewhere, so
// each started VS gets a TCP forwarder on `<address>:<free port>` that pipes every
// connection to the guest's own address and port. The VS reports the published pair,
// so routers (and the health check) go through the forwarder. It closes when its VS
// exits or is stopped. Connections reach the guest from the host's side of the bridge,
// as a router on the same host would: the guests' egress rules are unchanged.

import type { Logger } from '../lib/log.ts';
import { startTcpForwarder } from '../lib/tcp-forwarder.ts';
import type { RunningVs, Runtime, VsSpec } from './runtime.ts';

export function publishOn(inner: Runtime, address: string, log?: Logger): Runtime {
  const forwards = new Map<string, Forward>();
  const drop = async (name: string, fwd?: Forward) => {
    const cur = forwards.get(name);
    if (!cur || (fwd && cur !== fwd)) return fwd?.close();
    forwards.delete(name);
    await cur.close();
  };
  return {
    name: inner.name,
    async start(spec: VsSpec): Promise<RunningVs> {
      const vs = await inner.start(spec);
      let fwd: Forward;
      try {
        fwd = await forward(address, vs.address, vs.port, log);
      } catch (err) {
        await inner.stop(spec.name, 0).catch(() => {});
        throw err;
      }
      await drop(spec.name);
      forwards.set(spec.name, fwd);
      void vs.exited.then(() => drop(spec.name, fwd));
      log?.info({ event: 'vs.published', vs: spec.name, guest: `${vs.address}:${vs.port}`, published: `${address}:${fwd.port}` }, 'virtual server published on the engine address');
      return { ...vs, address, port: fwd.port };
    },
    async stop(name, graceMs) {
      try {
        await inner.stop(name, graceMs);
      } finally {
        await drop(name);
      }
    },
    reapOrphans: () => inner.reapOrphans(),
    ...(inner.exec ? { exec: inner.exec.bind(inner) } : {}),
    ...(inner.inspect ? { inspect: inner.inspect.bind(inner) } : {}),
    ...(inner.setMemoryLimit ? { setMemoryLimit: inner.setMemoryLimit.bind(inner) } : {}),
    ...(inner.reachesDatabase ? { reachesDatabase: inner.reachesDatabase.bind(inner) } : {}),
    async destroy() {
      const all = [...forwards.values()];
      forwards.clear();
      await Promise.all(all.map((f) => f.close()));
      await inner.destroy();
    },
  };
}

interface Forward {
  port: number;
  close(): Promise<void>;
}

function forward(address: string, toHost: string, toPort: number, log?: Logger): Promise<Forward> {
  return startTcpForwarder({
    host: address,
    target: () => ({ host: toHost, port: toPort }),
    onUpstreamError: (err) => log?.debug({ event: 'vs.forward_failed', err: err.message, to: `${toHost}:${toPort}` }, 'connection to the guest could not be forwarded'),
  });
}
