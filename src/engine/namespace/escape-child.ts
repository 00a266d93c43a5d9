// Run as a child process by namespace-escape.test.ts, so that the agent holds a file
// descriptor it inherited (not close-on-exec, as from the shell that started it): starts
// one guest running the given command, prints the guest's log once it shows PROBE-END,
// then the output of `exec` run by vs exec (each line prefixed `EXEC `), and exits.
// argv[2]: JSON { base, bridge, subnet, command, exec }. Test helper only.

import path from 'node:path';
import { silentLogger } from '../../lib/log.ts';
import { waitFor } from '../../lib/wait.ts';
import { createNamespaceRuntime } from '../namespace-runtime.ts';
import { appSpec, readVsLog, writeTestRelease } from '../testing.ts';

const { base, bridge, subnet, command, exec } = JSON.parse(process.argv[2] ?? '{}') as { base: string; bridge: string; subnet: string; command: string; exec: string };
await writeTestRelease(path.join(base, 'release'));
const runtime = createNamespaceRuntime({ runDir: path.join(base, 'run'), log: silentLogger, bridge, subnet });
try {
  const spec = { ...appSpec(base, 'fd-a'), command };
  await runtime.start(spec);
  const log = await waitFor(async () => {
    const text = await readVsLog(spec.logFile);
    return text.includes('PROBE-END') && text;
  }, { what: 'the guest probe', timeoutMs: 20_000 });
  process.stdout.write(log);
  const res = await runtime.exec!(spec.name, ['/bin/sh', '-c', exec]);
  process.stdout.write(res.stdout.split('\n').filter(Boolean).map((l) => `EXEC ${l}\n`).join('') + res.stderr);
} finally {
  await runtime.destroy();
}
