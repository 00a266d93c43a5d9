// The farm's /metrics in `corral up`: every part exposes its own prom-client registry
// from its index.ts; this merges them (Registry.merge) for the controller to serve.
// A part that adds a registry adds it to the list here.

import { Registry } from 'prom-client';
import { metricsRegistry as controllerMetrics } from '../controller/index.ts';
import { metricsRegistry as engineMetrics } from '../engine/index.ts';
import { routerMetricsRegistry, siteStatsRegistry } from '../router/index.ts';

export function farmMetricsRegistry(): Registry {
  return Registry.merge([controllerMetrics, engineMetrics, siteStatsRegistry, routerMetricsRegistry]);
}
