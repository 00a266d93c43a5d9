// The controller's Prometheus metrics: API requests and reconcile loop timings. One
// registry per process (metricsRegistry); `corral up` merges it with the engine's and the
// router's on the controller's /metrics.

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();

export const apiRequests = new Counter({
  name: 'corral_api_requests_total',
  help: 'Controller API requests answered, by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const reconcileDuration = new Histogram({
  name: 'corral_reconcile_duration_seconds',
  help: 'Duration of one reconcile pass (read snapshot, plan, write).',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

export const reconcileErrors = new Counter({
  name: 'corral_reconcile_errors_total',
  help: 'Reconcile passes that failed.',
  registers: [metricsRegistry],
});

export const reconcileFullPasses = new Counter({
  name: 'corral_reconcile_full_passes_total',
  help: 'Reconcile passes that planned every site (the others plan the sites changes or timers marked).',
  registers: [metricsRegistry],
});

export const autoscaleDecisions = new Counter({
  name: 'corral_autoscale_decisions_total',
  help: 'Replica counts the autoscaler decided, by action (scale.start, scale.out, scale.in, scale.zero, scale.wake).',
  labelNames: ['action'] as const,
  registers: [metricsRegistry],
});

export const reconcileActions = new Counter({
  name: 'corral_reconcile_actions_total',
  help: 'Changes written by the reconciler, by kind (create, remove, route_put, route_delete).',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

/**
 * corral_leader of one controller (1 while it leads the farm), in a registry of its own:
 * several controllers may share a process (tests), the other series are per process.
 */
export function leaderMetrics(isLeader: () => boolean): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'corral_leader',
    help: '1 on the controller that leads the farm (runs the reconciler), 0 on the others.',
    registers: [registry],
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  return registry;
}

/** Counts every answered API request by route pattern (registered on the root app). */
export function registerApiMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || route.startsWith('/console')) return;
    apiRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
  });
}
