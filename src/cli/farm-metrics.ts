// The farm's /metrics in `corral up`: every part exposes its own prom-client registry
// from its index.ts; this merges them (the router's mergedRegistry: Registry.merge's
// result, with the router's per-site series printed by their own fast path) for the
// controller to serve. A part that adds a registry adds it to the list here. With router
// workers, the router's series come from the cluster's primary (its workers' values
// summed), asked on every scrape, instead of this process's (empty) router registries.

import type { Registry } from 'prom-client';
import { metricsRegistry as controllerMetrics } from '../controller/index.ts';
import { metricsRegistry as engineMetrics } from '../engine/index.ts';
import { mergedRegistry, routerMetricsRegistry, routerStoreMetricsRegistry } from '../router/index.ts';

/** `router` returns the router part's registry once it has started (its workers' sums, or this process's; before: this process's, empty). */
export function farmMetricsRegistry(router: () => Registry | undefined): Registry {
  return mergedRegistry(() => {
    const started = router();
    return [controllerMetrics, engineMetrics, ...(started ? [started] : [routerMetricsRegistry, routerStoreMetricsRegistry])];
  });
}
