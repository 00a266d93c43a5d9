// End to end, as a hostile customer: random and adversarial site settings PATCHed with a
// customer's token into a running `corral up` (real router workers, engine and API). Each
// answer is 200, 400 (the API's error shape, naming the field), 403 (a setting that is the admin's to give: egress engine), 404 (a database that does not exist) or 409; the farm stays up
// and another customer's site keeps answering 200 through the router. Every value the API
// accepted must be usable by the router and the engine: no record is skipped as bad.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { SitePatchBody } from '../src/controller/schemas.ts';

const ACME = 'www.acme.test';
const GLOBEX = 'shop.globex.test';
const SEED = Number(process.env.CORRAL_FUZZ_SEED ?? 20_261_204);
const RUNS = 60;
const TIME_LIMIT_MS = 60_000;

/** Values known to have hurt the farm or its parts, and their neighbours. */
const ADVERSARIAL = [
  '/a b', '/x\r\nHost: evil', '/\u0000', 'a\u0000b', '\r\n', '', ' ', '/%', '/%zz', '/caf\u00e9', '/\u{1F600}', '../../etc/passwd',
  '${PORT}', '$(reboot)', '\u007f', '\t', '\ud800', 'x'.repeat(5_000), '/health\u0000', 'node server.js\nrm -rf /', 'Host: evil',
];
/** Strings made of the characters that matter: controls, separators, escapes, non-ASCII, a lone surrogate. */
const nasty = fc.string({ unit: fc.constantFrom('\u0000', '\r', '\n', '\t', ' ', '\u007f', 'a', 'Z', '/', '%', '?', '#', '=', ':', '\u00e9', '\ud800', '\u{1F600}'), maxLength: 12 });
const text = fc.oneof(fc.constantFrom(...ADVERSARIAL), nasty, fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ maxLength: 24 }));
const num = fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.constantFrom(0, -1, 2 ** 53, 1e300, 0.5), fc.double());
/** Mostly a value the API should take (so it reaches the router and the engine), sometimes anything. */
const wild = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.oneof(text, num, fc.constant(null), fc.constant({})) });
const int = (min: number, max: number) => wild(fc.integer({ min, max }));
const webPath = fc.oneof(
  fc.constantFrom('/', '/health', '/health?full=1', '/%41', '//x'),
  fc.tuple(fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined })).map(([p, q]) => `/${p.replace(/^\//, '')}${q === undefined ? '' : `?${q}`}`),
);
const path = wild(webPath).chain((p) =>
  typeof p === 'string' ? fc.oneof(fc.constant(p), fc.constantFrom(`${p}\u0000`, `${p} x`, `${p}\r\nX: y`)) : fc.constant(p));
const page = wild(fc.string({ unit: 'binary', maxLength: 200 }));
const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const envName = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/) }, fc.constantFrom('PORT', 'HOST', 'CORRAL_SITE', 'lower', 'A=B', '', '1X'), text);
const fields = {
  command: wild(fc.constantFrom('node server.js', 'exec node server.js', 'node server.js --quiet', 'true')),
  healthPath: path,
  env: wild(fc.dictionary(envName, fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nasty), { maxKeys: 4 })),
  limits: wild(fc.record({ maxHeaderBytes: int(256, 16_384), maxBodyBytes: int(0, 2 ** 30), requestsPerSecond: int(1000, 100_000), burst: int(1000, 100_000) }, { requiredKeys: [] })),
  healthCheck: wild(fc.record({ off: fc.boolean(), path, intervalMs: int(100, 5_000), timeoutMs: int(10, 2_000), rise: int(1, 5), fall: int(1, 5), expectStatus: int(100, 599) }, { requiredKeys: [] })),
  balance: wild(fc.oneof(
    fc.constantFrom({ policy: 'round-robin' }, { policy: 'least-conn' }, { policy: 'random' }, { policy: 'hash', hashOn: 'ip' }),
    fc.record({ policy: fc.constant('weighted'), weights: fc.dictionary(fc.oneof(fc.constantFrom('engine', 'engine-1'), text), int(1, 100), { maxKeys: 3 }) }),
    fc.record({ policy: fc.constant('sticky'), key: wild(token) }),
    fc.record({ policy: fc.constant('hash'), hashOn: fc.constantFrom('header', 'cookie'), key: wild(token) }),
  )),
  retry: wild(fc.record({ perTryTimeoutMs: int(10, 60_000), budgetRatio: wild(fc.double({ min: 0, max: 1, noNaN: true })), minRetriesPerSecond: int(0, 100), maxTries: int(1, 10) }, { requiredKeys: [] })),
  maintenance: wild(fc.record({
    on: fc.boolean(), page,
    allowIps: fc.array(wild(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.0.0.0/8', '2001:db8::/32', '127.0.0.1/33'))), { maxLength: 3 }),
  }, { requiredKeys: [] })),
  errorPages: wild(fc.dictionary(fc.constantFrom('502', '503', '504', '429', '404', '999', ''), page, { maxKeys: 2 })),
  domains: wild(fc.array(fc.oneof(fc.domain(), fc.constantFrom(GLOBEX, ACME, '*.acme.test', 'SHOP.GLOBEX.TEST', 'x.test\r\nHost: evil'), text), { minLength: 1, maxLength: 3 })),
  replicas: int(0, 2),
  resources: wild(fc.record({ memoryMb: int(16, 1024), cpu: wild(fc.double({ min: 0.01, max: 4, noNaN: true })), pids: int(8, 256) }, { requiredKeys: [] })),
  egress: fc.constantFrom('none', 'engine', 'all'),
  httpsRedirect: fc.oneof(fc.boolean(), text),
  drainTimeoutMs: int(0, 10_000),
  startTimeoutMs: int(0, 700_000),
  hsts: wild(fc.record({ maxAgeSeconds: int(0, 63_072_000), includeSubDomains: fc.boolean(), preload: fc.boolean() }, { requiredKeys: [] })),
  database: fc.oneof(fc.constantFrom('no-such-db', null), text),
  // never auto: the farm would order from a real CA
  tls: fc.constantFrom('manual', 'off', 'on', 'AUTO', ''),
  autoscale: wild(fc.record({ minReplicas: int(0, 3), maxReplicas: int(1, 3), targetConcurrency: int(1, 100), idleTimeoutMs: int(1_000, 600_000) }, { requiredKeys: [] })),
  // true moves the static site into its customer's pool (a rollout), false back to a VS of its own
  pooled: fc.oneof(fc.boolean(), text, num, fc.constant(null)),
  // true answers a static site's page paths with its /index.html (an app site is refused)
  spa: fc.oneof(fc.boolean(), text, num, fc.constant(null)),
};
type Field = keyof typeof fields;
/** A PATCH of one or two settings (more would nearly always hold one refused value, and test nothing further). */
const settings = fc
  .uniqueArray(fc.constantFrom(...(Object.keys(fields) as Field[])), { minLength: 1, maxLength: 2 })
  .chain((names) => fc.record(Object.fromEntries(names.map((n) => [n, fields[n]])) as Record<Field, fc.Arbitrary<unknown>>));

it('fuzzes every setting the API takes in a site PATCH (a new setting must join the fuzz)', () => {
  assert.deepEqual(Object.keys(fields).sort(), Object.keys(SitePatchBody.properties).sort());
});

describe('a hostile customer cannot hurt the farm or another customer', () => {
  let farm: FarmProcess;
  let globex = '';
  /** One API call with a token; the parsed JSON and the request id header. */
  const api = async (method: string, route: string, token: string, body?: unknown) => {
    const res = await fetch(`${farm.apiUrl}${route}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string; id: string } }, id: res.headers.get('x-request-id') };
  };
  /** The farm process is alive and customer A's site answers 200 through the router, for `ms` on end. */
  const farmServes = async (ms: number) => {
    const until = Date.now() + ms;
    do {
      assert.equal(farm.child.exitCode, null, `corral up exited:\n${farm.output().slice(-4_000)}`);
      const r = await get(farm.routerUrl, ACME);
      assert.equal(r.status, 200, `${ACME} answered ${r.status}: ${r.body.slice(0, 200)}`);
    } while (Date.now() < until);
  };
  const refusedWithShape = (r: Awaited<ReturnType<typeof api>>, what: string) => {
    assert.ok(r.json.error, `${what}: an error body`);
    assert.match(r.json.error.code, /^(invalid_request|domain_taken|site_autoscaled|not_found|forbidden)$/, what);
    assert.equal(r.json.error.id, r.id, `${what}: the error id is the request id`);
    if (r.status === 400) assert.match(r.json.error.message, /^body/, `${what}: the message names the field`);
  };

  before(async () => {
    farm = await startFarmProcess({ extraArgs: ['--runtime', 'process'] });
    const acme = (await api('POST', '/v1/customers', farm.token, { name: 'acme' })).json as unknown as { token: string };
    globex = ((await api('POST', '/v1/customers', farm.token, { name: 'globex' })).json as unknown as { token: string }).token;
    assert.equal((await api('POST', '/v1/sites', acme.token, { name: 'www', kind: 'static', domains: [ACME] })).status, 201);
    assert.equal((await api('POST', '/v1/sites', globex, { name: 'shop', kind: 'app', command: 'node server.js', healthPath: '/health', domains: [GLOBEX] })).status, 201);
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'www'], { token: acme.token }));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'shop'], { token: globex }));
    await waitFor(async () => (await get(farm.routerUrl, ACME)).status === 200 && (await get(farm.routerUrl, GLOBEX)).status === 200, { timeoutMs: 30_000, what: 'both sites served' });
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
  });

  it('refuses each value known to have hurt the farm, naming the field, and nothing changes', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ healthPath: '/a b' }, /body\.healthPath must be a URL path/],
      [{ healthPath: '/x\r\nHost: evil', command: 'node server.js --v2' }, /body\.healthPath must be a URL path/],
      [{ healthCheck: { path: '/a b' } }, /body\.healthCheck\.path must be a URL path/],
      [{ env: { SECRET: 'a\u0000b' } }, /body\.env\.SECRET must be text without NUL/],
      [{ command: 'node\u0000server.js' }, /body\.command must be one line of text without control characters/],
      [{ command: 'node server.js\r\nrm -rf /' }, /body\.command must be one line/],
      [{ env: { PORT: '80' } }, /body\.env key "PORT" must be .*reserved/],
      [{ errorPages: { 502: '<p>\u0000</p>' } }, /body\.errorPages\[502\] must be text without NUL/],
      [{ maintenance: { page: '\u0000' } }, /body\.maintenance\.page must be text without NUL/],
      [{ maintenance: { allowIps: ['203.0.113.7\r\n'] } }, /body\.maintenance\.allowIps\[0\]/],
      [{ balance: { policy: 'weighted', weights: { 'no such engine!': 2 } } }, /body\.balance\.weights key "no such engine!" must be an engine id/],
    ];
    const before = (await api('GET', '/v1/sites/shop', globex)).json;
    for (const [patch, message] of cases) {
      const r = await api('PATCH', '/v1/sites/shop', globex, patch);
      assert.equal(r.status, 400, `${JSON.stringify(patch)} → ${r.status}`);
      refusedWithShape(r, JSON.stringify(patch));
      assert.match(r.json.error!.message, message);
    }
    const created = await api('POST', '/v1/sites', globex, { name: 'nul', kind: 'app', command: 'node\u0000server.js', env: { A: '\u0000' }, domains: ['nul.globex.test'] });
    assert.equal(created.status, 400, 'a site with NUL in its command or env is not created');
    assert.deepEqual((await api('GET', '/v1/sites/shop', globex)).json, before, 'the site is unchanged');
    // a few of the router's and engine's health intervals: both sites keep answering
    await farmServes(5_000);
    assert.equal((await get(farm.routerUrl, GLOBEX)).status, 200);
  });

  it('survives random and adversarial settings from a customer token', async (t) => {
    t.diagnostic(`fast-check seed ${SEED} (CORRAL_FUZZ_SEED to replay)`);
    const accepted: string[] = [];
    await fc.assert(
      fc.asyncProperty(settings, async (patch) => {
        const r = await api('PATCH', '/v1/sites/shop', globex, patch);
        // 403: the admin's to give (egress engine); 404: a named thing that does not exist (a database); in the same error shape
        assert.ok([200, 400, 403, 404, 409].includes(r.status), `${JSON.stringify(patch)} → ${r.status} ${JSON.stringify(r.json)}`);
        if (r.status === 200) accepted.push(JSON.stringify(patch));
        else refusedWithShape(r, JSON.stringify(patch));
        try {
          // an accepted value reaches the router's table and the engine's VSs within a reconcile pass and a check or two
          await farmServes(r.status === 200 ? 1_000 : 0);
        } catch (err) {
          throw new Error(`${(err as Error).message}\nlast accepted patches:\n${accepted.slice(-3).join('\n')}`, { cause: err });
        }
      }),
      // the farm is state: a failure is the last patches' doing, so no shrinking to an innocent one
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, endOnFailure: true },
    );
    t.diagnostic(`${accepted.length} of the patches were accepted`);
    // what was accepted reaches the router's health checks and the engine within a few intervals
    await farmServes(6_000);
    const metrics = await fetch(`${farm.apiUrl}/metrics`, { headers: { authorization: `Bearer ${farm.token}` } }).then((res) => res.text());
    assert.doesNotMatch(metrics, /^corral_(router|engine)_bad_records_total\{/m, 'every value the API accepted is one the router and the engine can use');
    // the terminal and the JSON logs (<dir>/logs/corral.log)
    assert.doesNotMatch(farm.output() + (await readFile(join(farm.dir, 'logs', 'corral.log'), 'utf8')), /ERR_UNESCAPED_CHARACTERS|ERR_INVALID_ARG_VALUE|ERR_INVALID_CHAR/);
  });
});
