// chooseRuntime on a host where the namespace runtime cannot run (here: a process that is
// not root, as an engine started by an unprivileged user): `auto` falls back to the
// process runtime with a warning saying why; a forced `namespace` is an error.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { tempDir } from '../testing.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const skip = process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')
  ? 'needs root and setpriv (to run as nobody)'
  : !readableByNobody(path.join(REPO, 'src/engine/index.ts'))
    ? `the checkout (${REPO}) is not readable by uid 65534, which this test runs chooseRuntime as`
    : false;

function readableByNobody(file: string): boolean {
  if (!existsSync('/usr/bin/setpriv')) return false;
  return spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/test', '-r', file]).status === 0;
}

/** Runs chooseRuntime as uid 65534 and returns what it printed: the runtime and warning, or the error. */
async function chooseAsNobody(want: string, engineDir: string): Promise<{ runtime?: string; warning?: string; error?: string; code?: string }> {
  const script = `
    const { chooseRuntime } = await import(${JSON.stringify(path.join(REPO, 'src/engine/index.ts'))});
    const { silentLogger } = await import(${JSON.stringify(path.join(REPO, 'src/lib/log.ts'))});
    try {
      const r = await chooseRuntime({ want: ${JSON.stringify(want)}, engineDir: ${JSON.stringify(engineDir)}, log: silentLogger });
      console.log(JSON.stringify({ runtime: r.runtime.name, warning: r.warning }));
    } catch (err) {
      console.log(JSON.stringify({ error: err.message, code: err.code }));
    }`;
  const { stdout } = await promisify(execFile)('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { runtime?: string; warning?: string; error?: string; code?: string };
}

it('auto falls back to the process runtime with a warning where namespaces cannot run; a forced namespace fails', { skip, timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'corral-choose-');
  await chmod(dir, 0o777);
  const auto = await chooseAsNobody('auto', path.join(dir, 'engine'));
  assert.equal(auto.runtime, 'process');
  assert.match(auto.warning ?? '', /namespace runtime unavailable \(not running as root\); using the process runtime/);
  const forced = await chooseAsNobody('namespace', path.join(dir, 'engine'));
  assert.equal(forced.runtime, undefined);
  assert.match(forced.error ?? '', /not running as root/);
});
