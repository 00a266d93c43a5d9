// Each part's "May import" line (src/<part>/README.md) as a no-restricted-imports rule.
// A part may import only the parts listed for it; where a part is reached through its
// exported interface, only the files named (its index.ts, or the store's types.ts).
// Tests and test helpers (*.test.ts, testing.ts, *-testing.ts, test-harness.ts) get a
// looser rule: any file of a part they may import, any part's index.ts and any part's
// test helpers (a real SQLite store, an etcd cluster, the controller harness).

const PARTS = ['cli', 'cluster', 'controller', 'engine', 'lib', 'model', 'router', 'store', 'web-runtime', 'database'];
const TEST_FILES = ['src/**/*.test.ts', 'src/**/testing.ts', 'src/**/*-testing.ts', 'src/**/test-harness.ts'];
const TEST_HELPER = '(?:[^/]*/)*(?:testing|[^/]*-testing|test-harness)\\.ts';

const ANY = '*';
const INDEX = ['index.ts'];
/** Every part's index.ts (lib has none: its modules are imported one by one). */
/** The model's index, and its modules that load no typebox (constants the light CLI commands use: src/model/README.md). */
const MODEL_FOR_CLI = [...INDEX, 'retry-defaults.ts', 'balance-policies.ts', 'patterns.ts', 'start-settings.ts', 'vs-memory.ts'];
/** The cluster's index, and the router role alone (router-role.ts: `corral router` loads no controller or engine code). */
const CLUSTER_FOR_CLI = [...INDEX, 'router-role.ts', 'router-boot.ts'];
const ASSEMBLY = { ...Object.fromEntries(PARTS.map((p) => [p, INDEX])), lib: ANY, model: MODEL_FOR_CLI, cluster: CLUSTER_FOR_CLI };

/** What each part may import: part → '*' (any file) or the only files allowed. */
export const MAY_IMPORT = {
  lib: {},
  model: {},
  store: { lib: ANY },
  'web-runtime': { lib: ANY },
  engine: { lib: ANY, model: ANY, store: ['types.ts'] },
  controller: { lib: ANY, model: ANY, store: ['types.ts'] },
  router: { lib: ANY, model: ANY, store: ['types.ts'] },
  database: { lib: ANY },
  cli: ASSEMBLY,
  cluster: { ...ASSEMBLY, router: [...INDEX, 'follow.ts', 'cluster/primary.ts'] },
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Regex patterns for no-restricted-imports forbidding what `part` may not import. */
function patternsFor(part, { tests, allowed = MAY_IMPORT[part] }) {
  const out = [];
  for (const other of PARTS) {
    if (other === part) continue;
    const prefix = `^(?:\\.\\./)+${escape(other)}`;
    let files = allowed[other];
    if (tests && files !== undefined) files = ANY;
    if (files === ANY) continue;
    const keep = [...(files ?? []), ...(tests ? ['index.ts'] : [])].map(escape);
    if (tests) keep.push(TEST_HELPER);
    const where = `src/${part}/README.md`;
    const what = files
      ? `${part} may import from ${other} only ${files.join(', ')}`
      : `${part} may not import ${other}${tests ? ' (tests: only its index.ts and test helpers)' : ''}`;
    const regex = keep.length === 0 ? `${prefix}(?:/|$)` : `${prefix}(?:$|/(?!(?:${keep.join('|')})$))`;
    out.push({ regex, caseSensitive: true, message: `${what} (${where}).` });
  }
  return out;
}

/**
 * The command modules of src/cli/commands (COMMANDS in src/cli/main.ts; part-rules.test.ts
 * checks the list). Each is loaded only when its command runs, so none imports another:
 * what two commands share lives in a helper module beside them.
 */
export const COMMAND_MODULES = ['cert', 'completion', 'controller', 'customer', 'deploy', 'drill', 'engine', 'events', 'join-token', 'logs', 'releases', 'router', 'site', 'status', 'up', 'backup', 'db'];
/** The commands that run parts in process (and their shared options); the rest may import only lib and model. */
const ROLE_FILES = ['up', 'controller', 'engine', 'router', 'cluster-options'].map((f) => `src/cli/commands/${f}.ts`);
const API_COMMAND_MAY_IMPORT = { lib: ANY, model: MODEL_FOR_CLI };
const commandSiblings = {
  regex: `^\\./(?:${COMMAND_MODULES.map(escape).join('|')})\\.ts$`,
  caseSensitive: true,
  message: 'A command module may not import another: share a helper module instead (src/cli/README.md).',
};

export const partRules = PARTS.flatMap((part) => [
  {
    files: [`src/${part}/**/*.ts`],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: patternsFor(part, { tests: false }) }] },
  },
  {
    files: TEST_FILES.map((f) => f.replace('src/**/', `src/${part}/**/`)),
    rules: { 'no-restricted-imports': ['error', { patterns: patternsFor(part, { tests: true }) }] },
  },
]).concat(
  {
    // the farm's roles: `up` assembles the one-machine farm, the others run one role of a farm (src/cluster)
    files: ['src/cli/commands/**/*.ts'],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [...patternsFor('cli', { tests: false }), commandSiblings] }] },
  },
  {
    // every other command talks to the controller over HTTP only
    files: ['src/cli/commands/**/*.ts'],
    ignores: [...TEST_FILES, ...ROLE_FILES],
    rules: { 'no-restricted-imports': ['error', { patterns: [...patternsFor('cli', { tests: false, allowed: API_COMMAND_MAY_IMPORT }), commandSiblings] }] },
  },
);
