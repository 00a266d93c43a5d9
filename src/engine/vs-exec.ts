// `corral vs exec` on this engine: a command run inside one of its VSs through the runtime,
// or the error that says why not (no runtime yet or not this engine's VS: not running; a
// runtime without exec, such as process: unsupported). `corral up`'s controller calls it in
// process, a farm's controllers through the engine's API (src/cluster/engine-api.ts).

import { ExecUnsupportedError, VsNotRunningError } from './errors.ts';
import type { ExecResult, Runtime } from './runtime.ts';

/** Run argv inside the running VS `vs` of `runtime` (undefined: this engine has no runtime yet). */
export function execInVs(runtime: Runtime | undefined, vs: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
  if (!runtime) return Promise.reject(new VsNotRunningError(vs));
  if (!runtime.exec) return Promise.reject(new ExecUnsupportedError(runtime.name));
  return runtime.exec(vs, argv, timeoutMs !== undefined ? { timeoutMs } : {});
}
