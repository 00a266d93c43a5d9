// A line every few seconds while the farm is busy: how far the bench is, and what the
// control plane did meanwhile (reconcile passes and their mean time, CPU of each part,
// memory of the corral up process), so a slow phase shows which part grows with the sites.
import { describeCounters, readCounters, type ControlPlaneCounters, type FarmApi } from './farm-api.ts';
import { cpuPercent, sampleTree, type ProcessSample } from './proc-tree.ts';

export function startMonitor(api: FarmApi, root: number, progress: () => string, intervalMs = 5000): () => Promise<void> {
  const t0 = performance.now();
  let last: { at: number; tree: ProcessSample[]; counters: ControlPlaneCounters } | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const at = performance.now();
    const [tree, counters] = await Promise.all([sampleTree(root), api.metrics().then(readCounters)]);
    if (last) {
      const pct = cpuPercent(last.tree, tree, (at - last.at) / 1000);
      const main = tree.find((s) => s.pid === root);
      console.log(`  [${((at - t0) / 1000).toFixed(0).padStart(4)} s] ${progress()} | cpu % main ${pct.main.toFixed(0)}, workers ${pct['router workers'].toFixed(0)}, guests ${pct.guests.toFixed(0)} | main RSS ${((main?.rssKiB ?? 0) / 1024).toFixed(0)} MiB | ${describeCounters(last.counters, counters)}`);
    }
    last = { at, tree, counters };
  };
  let running = tick().catch(() => undefined);
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick).catch(() => undefined);
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
