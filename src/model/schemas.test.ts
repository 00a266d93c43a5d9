import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { BALANCE_POLICIES } from './balance-policies.ts';
import { assignmentCheck, routeCheck } from './record-checks.ts';
import { Balance, closed, Command, Env, ErrorPages, HealthCheck, HealthPath, Maintenance, Page } from './schemas.ts';

const accepts = (schema: TSchema, values: unknown[]) => {
  const c = Compile(schema);
  for (const v of values) assert.equal(c.Check(v), true, `should accept ${JSON.stringify(v)}`);
};
const refuses = (schema: TSchema, values: unknown[]) => {
  const c = Compile(schema);
  for (const v of values) assert.equal(c.Check(v), false, `should refuse ${JSON.stringify(v)}`);
};

test('a health path is RFC 3986 origin-form: a path, an optional query, percent-encoding, nothing node cannot send', () => {
  accepts(HealthPath, ['/', '/health', '/health?full=1&x=%2F', '/a%20b', '/api/v1;v=2/status', "/~u/.well-known/x:y@z!$&'()*+,=", '//']);
  refuses(HealthPath, [
    '', 'health', '/a b', '/x\r\nHost: evil', '/a\u0000', '/a\tb', '/caf\u00e9', '/\u{1F600}', '/bad%zz', '/bad%2', '/a#frag', '/a\\b', '/a"b', '/<x>', '/a{b}', '/a|b', '/a^b', '/a`b',
    `/${'a'.repeat(1024)}`,
  ]);
  refuses(closed(HealthCheck), [{ path: '/a b' }, { path: '/x', colour: 'red' }]);
  accepts(HealthCheck, [{ path: '/x', later: 'a newer field' }]);
});

test('a command is one line without control characters', () => {
  accepts(Command, ['node server.js', 'exec "/usr/bin/node" server.js --port "$PORT"', 'printf "%s" ünïcode']);
  refuses(Command, ['', 'node\u0000server.js', 'node server.js\nrm -rf /', 'a\rb', 'a\tb', 'a\u007fb', 'x'.repeat(4097)]);
});

test('env: names a process can take and the farm does not set, values without NUL, bounded', () => {
  accepts(Env, [{}, { NODE_ENV: 'production', _X: '', A1: 'multi\nline\tvalue', PEM: '-----BEGIN-----\n…' }]);
  refuses(Env, [
    { lower: 'x' }, { '1A': 'x' }, { 'A=B': 'x' }, { 'A\u0000': 'x' }, { '': 'x' }, { PORT: '1' }, { HOST: 'x' }, { CORRAL_SITE: 'x' },
    { A: 'a\u0000b' }, { A: 1 }, { A: 'x'.repeat(32_769) }, { ['A'.repeat(129)]: 'x' },
    Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x'])),
  ]);
  accepts(Env, [{ PORTS: 'x', HOSTNAME: 'x', CORRALX: 'x' }]);
});

test('pages (maintenance, errors) hold no NUL; allowIps entries are one line; balance keys and weights are bounded', () => {
  accepts(Page, ['<h1>Back soon</h1>\n', '']);
  refuses(Page, ['<p>\u0000</p>', 'x'.repeat(65_537)]);
  refuses(ErrorPages, [{ 502: 'a\u0000' }, { abc: 'x' }]);
  refuses(Maintenance, [{ allowIps: ['10.0.0.1\r\n'] }, { allowIps: [''] }, { page: '\u0000' }]);
  accepts(Balance, [{ policy: 'weighted', weights: { 'engine-1': 3, 'shop-a1b2c3': 1 } }, { policy: 'sticky', key: 'session_id' }]);
  refuses(Balance, [
    { policy: 'weighted', weights: { 'Engine 1': 2 } }, { policy: 'weighted', weights: { ['e'.repeat(64)]: 2 } }, { policy: 'weighted', weights: { e1: 0 } },
    { policy: 'weighted', weights: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`e${i}`, 1])) },
    { policy: 'sticky', key: 'a\r\nb' }, { policy: 'sticky', key: 'a b' }, { policy: 'random' },
  ]);
});

test('records: a route and an assignment as the controller writes them pass; one with a bad field is refused, naming it', () => {
  const route = {
    site: 'shop', domains: ['shop.example', '*.shop.example'], updatedAt: new Date().toISOString(),
    endpoints: [{ vs: 'shop-a1b2c3', address: '127.77.0.2', port: 40123, release: 'v3' }, { vs: 'shop-d4e5f6', address: 'fd00::2', port: 8080, release: 'v3' }],
    balance: { policy: 'weighted', weights: { 'shop-a1b2c3': 2 } }, limits: { maxHeaderBytes: 8192 }, health: { path: '/health?deep=1', intervalMs: 2000 },
    httpsRedirect: true, maintenance: { on: true, page: '<h1>soon</h1>', allowIps: ['10.0.0.0/8'] }, errorPages: { 502: '<p>{{errorId}}</p>' }, retry: { maxTries: 2 },
    drainTimeoutMs: 30_000, aNewerField: { kept: true },
  };
  assert.equal(routeCheck.problem(route), undefined);
  assert.equal(routeCheck.is({ ...route, health: { path: '/a b' } }), false);
  assert.match(routeCheck.problem({ ...route, health: { path: '/a b' } })!, /^\/health\/path must be a URL path/);
  assert.match(routeCheck.problem({ ...route, endpoints: [{ ...route.endpoints[0], port: 0 }] })!, /^\/endpoints\/0\/port/);
  assert.match(routeCheck.problem('nope')!, /^the record/);
  assert.match(routeCheck.problem({ ...route, drainTimeoutMs: 3_600_001 })!, /^\/drainTimeoutMs/, 'a drain of more than an hour');

  const assignment = {
    vs: 'shop-a1b2c3', engine: 'engine-1', site: 'shop', customer: 'acme', kind: 'app', release: 'v3', sha256: 'a'.repeat(64),
    command: 'node server.js', healthPath: '/health', env: { GREETING: 'hi' }, domains: ['shop.example'], resources: { memoryMb: 128 }, egress: 'none',
    createdAt: new Date().toISOString(),
  };
  assert.equal(assignmentCheck.problem(assignment), undefined);
  assert.equal(assignmentCheck.is({ ...assignment, kind: 'static', command: undefined, domains: [] }), true);
  for (const [field, value] of [['env', { A: '\u0000' }], ['command', 'a\u0000'], ['healthPath', '/x\r\nHost: evil'], ['sha256', '../../etc'], ['vs', '../x'], ['resources', { cpu: 1000 }]] as const) {
    assert.match(assignmentCheck.problem({ ...assignment, [field]: value })!, new RegExp(`^/${field}`), field);
  }  // a pool's table: each entry a site name, a sha256 and its domains, nothing the engine could misuse as a path
  const entry = { site: 'blog', siteId: '0abc', release: 'v1', sha256: 'b'.repeat(64), domains: ['blog.example'] };
  const pool = { ...assignment, site: 'pool', kind: 'static', command: undefined, domains: [], pool: { sites: [entry] } };
  assert.equal(assignmentCheck.problem(pool), undefined);
  for (const [field, value, where] of [['sha256', '../../releases', 'sha256'], ['site', '../x', 'site'], ['domains', [], 'domains'], ['siteId', 'a/b', 'siteId'], ['domains', ['Evil Host'], 'domains/0']] as const) {
    assert.match(assignmentCheck.problem({ ...pool, pool: { sites: [{ ...entry, [field]: value }] } })!, new RegExp(`^/pool/sites/0/${where}`), `${field} ${JSON.stringify(value)}`);
  }
});

test('the balance schema takes exactly the policies named in balance-policies.ts', () => {
  accepts(Balance, BALANCE_POLICIES.map((policy) => ({ policy })));
  refuses(Balance, [{ policy: 'random' }, { policy: 'ROUND-ROBIN' }, { policy: '' }]);
});
