// `corral vs exec` on a farm on etcd: the controller's vsExec (controller/options.ts) as a
// call to the VS's engine's API (engine-api.ts), which runs it through its runtime. The
// engine's own refusals keep their code and status (a VS not running there: 404
// ENGINE_VS_NOT_RUNNING; the process runtime: 501 ENGINE_EXEC_UNSUPPORTED); an engine that
// cannot be reached is 503 CLUSTER_ENGINE_UNREACHABLE, at the latest a few seconds after the
// command's own timeout.

import type { ControllerOptions } from '../controller/index.ts';
import { postJson } from '../lib/post-json.ts';
import type { EngineDirectory } from './engine-directory.ts';
import { ClusterError, nodeRefusal, nodeUnreachable } from './errors.ts';

/** The runtime's own default (engine/namespace-runtime.ts), for the wait when the request names none. */
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
/** Beyond the command's timeout: the engine's nsenter, the answer on its way. */
const EXEC_SLACK_MS = 5_000;

export function remoteVsExec(directory: EngineDirectory, token: string): NonNullable<ControllerOptions['vsExec']> {
  return async ({ vs, engine }, argv, timeoutMs) => {
    const base = await directory.apiUrlOf(engine);
    let res;
    try {
      res = await postJson(`${base}/v1/vs/${encodeURIComponent(vs)}/exec`, { argv, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, {
        timeoutMs: (timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS) + EXEC_SLACK_MS, headers: { authorization: `Bearer ${token}` }, maxBytes: 64 * 1024 * 1024,
      });
    } catch (err) {
      throw nodeUnreachable('engine', engine, `${base}: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw nodeRefusal('engine', engine, res.status, res.json);
    const r = res.json as { stdout?: unknown; stderr?: unknown; code?: unknown } | undefined;
    if (typeof r?.stdout !== 'string' || typeof r.stderr !== 'string' || typeof r.code !== 'number') throw new ClusterError('CLUSTER_ENGINE_API_FAILED', 502, `engine ${engine} answered exec with something that is not {stdout, stderr, code}`);
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  };
}
