// The parts' import rules (eslint.parts.js, from each src/<part>/README.md) run through
// ESLint's own API on snippets placed inside the parts: a forbidden import is reported by
// no-restricted-imports, an allowed one is not, and the looser rule for tests holds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
// @ts-expect-error plain JS config module, no declarations
import { COMMAND_MODULES } from '../eslint.parts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: join(ROOT, 'eslint.config.js') });

/** The no-restricted-imports messages for a module importing `source`, placed at `file`. */
async function restricted(file: string, source: string): Promise<string[]> {
  const code = `import * as m from '${source}';\nexport const used = m;\n`;
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  assert.ok(result, 'one result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the snippet parses');
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

async function refused(file: string, source: string, why: RegExp): Promise<void> {
  const msgs = await restricted(file, source);
  assert.equal(msgs.length, 1, `${file} importing ${source} should be refused`);
  assert.match(msgs[0]!, why);
}

async function allowed(file: string, source: string): Promise<void> {
  assert.deepEqual(await restricted(file, source), [], `${file} importing ${source} should be allowed`);
}

describe('parts import rules', () => {
  it('the router may not import the controller, even through its index.ts', async () => {
    await refused('src/router/proxy.ts', '../controller/index.ts', /router may not import controller \(src\/router\/README\.md\)/);
    await refused('src/router/proxy.ts', '../engine/index.ts', /router may not import engine/);
    await refused('src/router/sub/deep.ts', '../../web-runtime/index.ts', /router may not import web-runtime/);
  });

  it('the router may import lib, model and the store interface, not a concrete store', async () => {
    await allowed('src/router/proxy.ts', '../lib/log.ts');
    await allowed('src/router/proxy.ts', '../model/index.ts');
    await allowed('src/router/proxy.ts', '../store/types.ts');
    await allowed('src/router/proxy.ts', './raw-parser.ts');
    await allowed('src/router/proxy.ts', 'node:tls');
    await refused('src/router/proxy.ts', '../store/sqlite-store.ts', /router may import from store only types\.ts/);
    await refused('src/router/proxy.ts', '../store/index.ts', /only types\.ts/);
  });

  it('the controller reaches no engine code, from any depth', async () => {
    await refused('src/controller/options.ts', '../engine/logs.ts', /controller may not import engine/);
    await refused('src/controller/routes/deps.ts', '../../engine/logs.ts', /controller may not import engine/);
    await refused('src/controller/options.ts', '../router/index.ts', /controller may not import router/);
    await allowed('src/controller/routes/deps.ts', '../../store/types.ts');
    await allowed('src/controller/schemas.ts', '../model/schemas.ts');
  });

  it('lib and model import no part; store and web-runtime only lib', async () => {
    await refused('src/lib/log.ts', '../model/index.ts', /lib may not import model/);
    await refused('src/model/records.ts', '../lib/log.ts', /model may not import lib/);
    await refused('src/store/sqlite-store.ts', '../model/index.ts', /store may not import model/);
    await refused('src/web-runtime/server.ts', '../model/index.ts', /web-runtime may not import model/);
    await allowed('src/web-runtime/server.ts', '../lib/wait.ts');
    await allowed('src/model/schemas.ts', 'typebox');
  });

  it('the assembly points take other parts through their index.ts only', async () => {
    await allowed('src/cli/farm.ts', '../engine/index.ts');
    await refused('src/cli/farm.ts', '../engine/agent.ts', /cli may import from engine only index\.ts/);
    await allowed('src/cluster/engine-node.ts', '../store/index.ts');
    await refused('src/cluster/engine-node.ts', '../store/etcd-store.ts', /cluster may import from store only index\.ts/);
    await refused('src/cluster/registration.ts', '../model/records.ts', /only index\.ts/);
  });

  it('a command module talks HTTP only and imports no other command', async () => {
    await refused('src/cli/commands/site.ts', '../../controller/index.ts', /cli may not import controller/);
    await refused('src/cli/commands/deploy.ts', './status.ts', /A command module may not import another/);
    await allowed('src/cli/commands/deploy.ts', './status-view.ts');
    await allowed('src/cli/commands/deploy.ts', '../../model/index.ts');
    await allowed('src/cli/commands/controller.ts', '../../cluster/index.ts');
    await refused('src/cli/commands/controller.ts', '../../cluster/controller-node.ts', /only index\.ts/);
  });

  it('tests may use any file of a part they may import, and other parts\' index.ts and test helpers', async () => {
    await allowed('src/engine/agent.test.ts', '../store/sqlite-store.ts');
    await allowed('src/cli/commands/customer.test.ts', '../../controller/test-harness.ts');
    await allowed('src/cluster/cluster.test.ts', '../store/etcd-testing.ts');
    await allowed('src/controller/logs.test.ts', '../engine/index.ts');
    await refused('src/controller/logs.test.ts', '../engine/logs.ts', /tests: only its index\.ts and test helpers/);
    await refused('src/router/proxy.test.ts', '../controller/build-controller.ts', /router may not import controller/);
    // a helper is a test file by its name only: production code stays under the strict rule
    await refused('src/cli/farm.ts', '../controller/test-harness.ts', /only index\.ts/);
  });

  it('the command list in the rules is the one main.ts loads', async () => {
    const main = await readFile(join(ROOT, 'src/cli/main.ts'), 'utf8');
    const loaded = [...main.matchAll(/import\('\.\/commands\/([a-z-]+)\.ts'\)/g)].map((m) => m[1]).sort();
    assert.ok(loaded.length > 5);
    assert.deepEqual([...(COMMAND_MODULES as string[])].sort(), loaded);
  });
});
