// `corral up` / `corral engine`: the runtime for this engine. `auto` takes `namespace`
// where the machine allows it (namespaceUnsupported() says why not) and otherwise
// `process`, with a one-line warning; `process` or `namespace` force one (a forced
// `namespace` that cannot run is an error, not a fallback). A namespace runtime whose
// seccomp filter cannot be built still runs, with a one-line warning.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { NamespaceUnavailableError } from '../errors.ts';
import { createNamespaceRuntime } from '../namespace-runtime.ts';
import type { AddressPool } from '../address-pool.ts';
import { createProcessRuntime } from '../process-runtime.ts';
import type { DatabaseTarget, Runtime } from '../runtime.ts';
import { engineNetwork } from './engine-network.ts';
import { buildSeccompFilter } from './seccomp.ts';
import { namespaceUnsupported } from './support.ts';

export type RuntimeChoice = 'auto' | 'process' | 'namespace';

export interface ChosenRuntime {
  runtime: Runtime;
  /** Set when `auto` fell back to `process`, or guests run without a seccomp filter: one line saying why. */
  warning?: string;
}

export interface ChooseRuntimeOptions {
  want?: RuntimeChoice;
  engineDir: string;
  log: Logger;
  bridge?: string;
  subnet?: string;
  /** The process runtime's address pool (an engine with --address: that one address). */
  processAddresses?: AddressPool;
  /** Where this engine reaches PostgreSQL: process VSs connect there, namespace guests through a forwarder on the bridge. */
  database?: DatabaseTarget;
}

export async function chooseRuntime(opts: ChooseRuntimeOptions): Promise<ChosenRuntime> {
  const want = opts.want ?? 'auto';
  const runDir = path.join(opts.engineDir, 'run');
  const processRuntime = () => createProcessRuntime({ runDir, log: opts.log, ...(opts.processAddresses ? { addresses: opts.processAddresses } : {}), ...(opts.database ? { database: opts.database } : {}) });
  if (want === 'process') return { runtime: processRuntime() };
  const reason = await namespaceUnsupported();
  if (reason) {
    if (want === 'namespace') throw new NamespaceUnavailableError(reason);
    return { runtime: processRuntime(), warning: `namespace runtime unavailable (${reason}); using the process runtime, without isolation` };
  }
  const net = await engineNetwork(opts.engineDir, { ...(opts.bridge ? { bridge: opts.bridge } : {}), ...(opts.subnet ? { subnet: opts.subnet } : {}) });
  const guests = path.join(opts.engineDir, 'guests');
  await mkdir(guests, { recursive: true });
  const seccomp = await buildSeccompFilter(guests);
  const runtime = createNamespaceRuntime({ runDir: guests, log: opts.log, removeBridge: true, seccomp, ...net, ...(opts.database ? { database: opts.database } : {}) });
  return { runtime, ...(seccomp.file ? {} : { warning: `seccomp filter unavailable (${seccomp.reason}); guests run without one` }) };
}
