// The engine's Prometheus metrics, read from the running agents when scraped: virtual
// servers by state, restarts, capacity and use, and each VS's memory (its process's RSS,
// where /proc shows it). One registry per process (metricsRegistry); `corral up` merges it
// into the controller's /metrics. trackEngineMetrics(agent) adds an agent, and returns the
// function that removes it.

import { readFileSync } from 'node:fs';
import { Counter, Gauge, Registry } from 'prom-client';
import { keys, type EngineRecord, type VsState } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { EngineAgent } from './agent.ts';

export const metricsRegistry = new Registry();

const tracked = new Map<string, { agent: EngineAgent; store: Store }>();
const STATES: VsState[] = ['queued', 'starting', 'ready', 'unhealthy', 'crashed', 'backoff', 'stopping', 'stopped'];
const PAGE_BYTES = 4096;
const CLOCK_TICKS = 100;

new Gauge({
  name: 'corral_vs_state',
  help: 'Virtual servers on this engine by state.',
  labelNames: ['engine', 'state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { agent } of tracked.values()) {
      const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
      for (const snap of agent.snapshot().values()) counts.set(snap.state, (counts.get(snap.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ engine: agent.engineId, state }, n);
    }
  },
});

new Gauge({
  name: 'corral_vs_restarts',
  help: 'Restarts of the virtual servers this engine runs now (sum since each VS started).',
  labelNames: ['engine'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { agent } of tracked.values()) {
      let n = 0;
      for (const snap of agent.snapshot().values()) n += snap.restarts;
      this.set({ engine: agent.engineId }, n);
    }
  },
});

new Gauge({
  name: 'corral_engine_virtual_servers',
  help: 'Virtual servers the engine runs now (its use of the max_virtual_servers capacity).',
  labelNames: ['engine'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { agent } of tracked.values()) this.set({ engine: agent.engineId }, agent.snapshot().size);
  },
});

new Gauge({
  name: 'corral_engine_capacity',
  help: 'The engine\'s declared capacity, by resource (cpus, memory_bytes, virtual_servers).',
  labelNames: ['engine', 'resource'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const { agent, store } of tracked.values()) {
      const kv = await store.get(keys.engine(agent.engineId));
      if (!kv) continue;
      const { capacity } = JSON.parse(kv.value) as EngineRecord;
      this.set({ engine: agent.engineId, resource: 'cpus' }, capacity.cpus);
      this.set({ engine: agent.engineId, resource: 'memory_bytes' }, capacity.memoryMb * 1024 * 1024);
      this.set({ engine: agent.engineId, resource: 'virtual_servers' }, capacity.maxVirtualServers);
    }
  },
});

new Gauge({
  name: 'corral_vs_memory_bytes',
  help: 'Resident memory of each virtual server\'s main process (where /proc shows it).',
  labelNames: ['engine', 'vs'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { agent } of tracked.values()) {
      for (const snap of agent.snapshot().values()) {
        const rss = snap.pid ? processUsage(snap.pid)?.memoryBytes : undefined;
        if (rss !== undefined) this.set({ engine: agent.engineId, vs: snap.vs }, rss);
      }
    }
  },
});

const badRecords = new Counter({
  name: 'corral_engine_bad_records_total',
  help: 'Store records the engine skipped because it cannot run them (an assignment failing its schema), per kind and site; its other virtual servers run on.',
  labelNames: ['kind', 'site'] as const,
  registers: [metricsRegistry],
});

/** An assignment skipped by assignment-watch.ts. */
export function recordBadRecord(kind: 'assignment', site: string): void {
  badRecords.inc({ kind, site });
}

export function trackEngineMetrics(agent: EngineAgent, store: Store): () => void {
  tracked.set(agent.engineId, { agent, store });
  return () => {
    if (tracked.get(agent.engineId)?.agent === agent) tracked.delete(agent.engineId);
  };
}

export interface ProcessUsage {
  memoryBytes: number;
  /** CPU time used so far (user + system). */
  cpuSeconds: number;
}

/** Memory (RSS) and CPU time of a process from /proc (Linux), else undefined. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    if (!Number.isFinite(pages) || !Number.isFinite(ticks)) return undefined;
    return { memoryBytes: pages * PAGE_BYTES, cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}
