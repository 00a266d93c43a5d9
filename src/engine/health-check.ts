// One HTTP health check of a VS: GET path on address:port with a Host header; any
// 2xx or 3xx answer within the timeout passes. It never throws: anything else fails.

import http from 'node:http';

/** Every health probe carries this header (and user agent), so an app can leave probes out of its own access log. */
export const HEALTH_HEADER = 'x-corral-health';
export const HEALTH_USER_AGENT = 'corral-health/1';

export interface HealthTarget {
  address: string;
  port: number;
  path: string;
  host: string;
}

export type HealthCheck = (target: HealthTarget, timeoutMs: number) => Promise<boolean>;

/**
 * Probes reuse one idle connection per VS (an engine with hundreds of VSs checks each every
 * 1.5 s: a connection per probe was most of its idle CPU, and of theirs). A probe whose
 * reused connection turns out closed by the VS is sent once more on a new one.
 */
const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' });

export const httpHealthCheck: HealthCheck = (target, timeoutMs) =>
  probe(target, timeoutMs, probeAgent).then((r) => (r === 'retry' ? probe(target, timeoutMs, false).then((again) => again === true) : r));

function probe(target: HealthTarget, timeoutMs: number, agent: http.Agent | false): Promise<boolean | 'retry'> {
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.get(
        { host: target.address, port: target.port, path: target.path, headers: { host: target.host, 'user-agent': HEALTH_USER_AGENT, [HEALTH_HEADER]: '1' }, agent },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 400);
        },
      );
    } catch {
      // a path or Host node refuses to send (assignments are checked on load; this is the last guard): a failed check
      resolve(false);
      return;
    }
    let timedOut = false;
    req.setTimeout(timeoutMs, () => {
      timedOut = true;
      req.destroy();
    });
    // a kept connection the VS had closed meanwhile (its idle timeout, a restart on the same port): not the VS's failure
    req.on('error', (err: NodeJS.ErrnoException) => resolve(req.reusedSocket && !timedOut && (err.code === 'ECONNRESET' || err.code === 'EPIPE') ? 'retry' : false));
  });
}

/** Path and Host a VS is checked with: static → /.corral/health; app → its healthPath and first domain. */
export function healthTarget(spec: { kind: 'static' | 'app'; healthPath: string; domains: string[]; site: string }, address: string, port: number): HealthTarget {
  const host = spec.domains[0] ?? spec.site;
  if (spec.kind === 'static') return { address, port, path: '/.corral/health', host };
  const path = spec.healthPath.startsWith('/') ? spec.healthPath : `/${spec.healthPath}`;
  return { address, port, path, host };
}
