// Builds the controller's HTTP API (not listening: the caller listens, tests inject).
//
// The request chain, in order:
//   0. before routing: Node's parser refusals (431, bad Content-Length, …) → client-errors.ts.
//   1. onRequest: x-request-id header, then auth (auth.ts): bearer token → request.principal,
//      401 before anything else is read; routes with config.public skip it.
//   2. body parsing: JSON (maxJsonBytes), or for release uploads the raw request stream.
//   3. schema validation of params, query and body (schemas.ts) → 400 naming the field.
//   4. the handler: access checks first (access.ts: 403 admin-only, 404 for others'
//      resources), then the store through site-writes / release-writes.
//   5. any failure → errorReply (http-errors.ts), logged under the request id.
//   6. onResponse: state-changing calls go to the audit trail (audit.ts); every call is
//      counted in corral_api_requests_total (metrics.ts).

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { logger } from '../lib/log.ts';
import { strictValidatorCompiler } from './strict-query.ts';
import { RequestLogging } from './request-logging.ts';
import { Access } from './access.ts';
import { registerAudit } from './audit.ts';
import { registerAuth } from './auth.ts';
import { clientErrorHandler, newRequestId } from './client-errors.ts';
import { domainRules } from './domain-rules.ts';
import { createEventLog } from './event-log.ts';
import { metricsRegistry, registerApiMetrics } from './metrics.ts';
import { certificateMetrics } from './certificate-metrics.ts';
import { consoleRoutes } from './routes/console.ts';
import { eventRoutes } from './routes/events.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { frameworkErrorHandler, registerErrorHandling } from './error-handler.ts';
import { DEFAULT_CUSTOMER_MAX_VS, resolveLimits, type ControllerOptions } from './options.ts';
import { blobRoutes } from './routes/blobs.ts';
import { customerRoutes } from './routes/customers.ts';
import { engineRoutes } from './routes/engines.ts';
import { drillRoutes } from './routes/drill.ts';
import { joinRoutes } from './routes/join.ts';
import type { RouteDeps } from './routes/deps.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/logs.ts';
import { releaseRoutes } from './routes/releases.ts';
import { capConnections, closeLeftovers, stalledBodies } from './upload-guard.ts';
import { siteRoutes } from './routes/sites.ts';
import { certificateRoutes } from './routes/certificates.ts';
import { statsRoutes } from './routes/stats.ts';
import { statusRoutes } from './routes/status.ts';
import { statusStreamRoutes } from './routes/status-stream.ts';
import { vsExecRoutes } from './routes/vs-exec.ts';
import { backupRoutes } from './routes/backup.ts';
import { databaseRoutes } from './routes/databases.ts';

export async function buildController(opts: ControllerOptions): Promise<FastifyInstance> {
  const limits = resolveLimits(opts.limits);
  const domains = domainRules(opts.reservedDomains);
  const app: FastifyInstance = Fastify({
    loggerInstance: (opts.log ?? logger('controller')) as FastifyBaseLogger,
    genReqId: newRequestId,
    logController: new RequestLogging(),
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    bodyLimit: limits.maxJsonBytes,
    // node checks it every connectionsCheckingInterval (30 s by default): every second here
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs || 1_000) },
  });
  capConnections(app.server, limits.maxConnectionsPerAddress);
  closeLeftovers(app);
  app.setValidatorCompiler(strictValidatorCompiler); // TypeBox's, with integers in the query and path as decimal digits only
  // JSON bodies only (release and blob routes add their own tarball parser): text/plain → 415
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  // a request body that stops arriving closes its connection (408): before auth, so that no caller holds one open
  app.addHook('onRequest', (request, reply, done) => {
    stalledBodies(request.raw, reply.raw, limits.bodyIdleMs);
    done();
  });
  registerAuth(app, opts.store);
  const events = createEventLog(opts.store, opts.eventRetention);
  registerAudit(app, opts.store, events);
  registerApiMetrics(app);

  const deps: RouteDeps = { store: opts.store, blobs: opts.blobs, access: new Access(opts.store), limits, events, domains, staticPools: opts.staticPools !== false, customerMaxVs: opts.customerMaxVs ?? DEFAULT_CUSTOMER_MAX_VS }; // pooled unless the farm says false
  if (opts.engineLogs) deps.engineLogs = opts.engineLogs;
  if (opts.routerLogs) deps.routerLogs = opts.routerLogs;
  if (opts.vsUsage) deps.vsUsage = opts.vsUsage;
  if (opts.vsExec) deps.vsExec = opts.vsExec;
  if (opts.siteStats) deps.siteStats = opts.siteStats;
  if (opts.cluster) deps.cluster = opts.cluster;
  if (opts.replicateBlob) deps.replicateBlob = opts.replicateBlob;
  if (opts.backup) deps.backup = opts.backup;
  if (opts.databases) deps.databases = opts.databases;
  for (const routes of [healthRoutes, customerRoutes, siteRoutes, certificateRoutes, releaseRoutes, statusRoutes, statusStreamRoutes, logRoutes, blobRoutes, eventRoutes, statsRoutes, engineRoutes, joinRoutes, vsExecRoutes, drillRoutes, backupRoutes, databaseRoutes]) {
    await app.register(routes, deps);
  }
  await app.register(metricsRoutes, { ...deps, metrics: { registry: opts.metrics?.registry ?? metricsRegistry, open: opts.metrics?.open === true, also: [certificateMetrics(opts.store)] } });
  if (opts.consoleDir) await app.register(consoleRoutes, { ...deps, consoleDir: opts.consoleDir });
  return app;
}
