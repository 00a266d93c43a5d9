import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSite } from '../../controller/test-harness.ts';
import { corralBin, startCliHarness, type CliRun } from '../cli-testing.ts';

const ok = (r: CliRun): CliRun => {
  assert.equal(r.code, 0, `corral failed: ${r.out}\n${r.err}`);
  return r;
};

test('site set changes each field alone; a flag keeps every other setting; "default" removes one', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog'), customer: 'acme' })).status, 201);
  assert.equal((await h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.example.com'], kind: 'app', command: 'node a.js' })).status, 201);
  const site = async (name = 'blog') => (await acme.get(`/v1/sites/${name}`)).json.site;

  // limits: each flag merges into the stored limits (--rate no longer erases --max-body-bytes)
  ok(await h.corral(['site', 'set', 'blog', '--max-body-bytes', '1000']));
  ok(await h.corral(['site', 'set', 'blog', '--rate', '50', '--burst', '100']));
  ok(await h.corral(['site', 'set', 'blog', '--max-header-bytes', '4096']));
  assert.deepEqual((await site()).limits, { maxBodyBytes: 1000, requestsPerSecond: 50, burst: 100, maxHeaderBytes: 4096 });
  ok(await h.corral(['site', 'set', 'blog', '--rate', 'default', '--burst', 'default']));
  assert.deepEqual((await site()).limits, { maxBodyBytes: 1000, maxHeaderBytes: 4096 });

  // health checks: merged the same way; off/on; default drops one
  ok(await h.corral(['site', 'set', 'blog', '--health-interval', '5s', '--health-rise', '3']));
  ok(await h.corral(['site', 'set', 'blog', '--health-timeout', '500ms', '--health-status', '204', '--health-check-path', '/ping', '--health-fall', '4']));
  assert.deepEqual((await site()).healthCheck, { intervalMs: 5000, rise: 3, timeoutMs: 500, expectStatus: 204, path: '/ping', fall: 4 });
  ok(await h.corral(['site', 'set', 'blog', '--health-check', 'off', '--health-rise', 'default']));
  assert.deepEqual((await site()).healthCheck, { intervalMs: 5000, timeoutMs: 500, expectStatus: 204, path: '/ping', fall: 4, off: true });
  ok(await h.corral(['site', 'set', 'blog', '--health-check', 'on', '--health-check-path', 'default']));
  assert.deepEqual((await site()).healthCheck, { intervalMs: 5000, timeoutMs: 500, expectStatus: 204, fall: 4 });

  // resources: merged by the API; default sends null, which removes the one field
  ok(await h.corral(['site', 'set', 'blog', '--memory', '256', '--cpu', '0.5']));
  ok(await h.corral(['site', 'set', 'blog', '--pids', '64']));
  assert.deepEqual((await site()).resources, { memoryMb: 256, cpu: 0.5, pids: 64 });
  ok(await h.corral(['site', 'set', 'blog', '--memory', 'default']));
  assert.deepEqual((await site()).resources, { cpu: 0.5, pids: 64 });
  ok(await h.corral(['site', 'set', 'blog', '--cpu', 'default', '--pids', 'default']));
  assert.equal((await site()).resources, undefined);

  // domains: replace, add, remove
  ok(await h.corral(['site', 'set', 'blog', '--add-domain', 'www.blog.example.com']));
  assert.deepEqual((await site()).domains, ['blog.example.com', 'www.blog.example.com']);
  ok(await h.corral(['site', 'set', 'blog', '--remove-domain', 'blog.example.com']));
  assert.deepEqual((await site()).domains, ['www.blog.example.com']);
  ok(await h.corral(['site', 'set', 'blog', '--domain', 'a.example.com', '--domain', 'b.example.com']));
  assert.deepEqual((await site()).domains, ['a.example.com', 'b.example.com']);

  // replicas, health path, env (set and unset one), egress, https redirect, balancing
  ok(await h.corral(['site', 'set', 'blog', '--replicas', '3', '--health', '/healthz', '--env', 'A=1', '--env', 'B=x=y']));
  ok(await h.corral(['site', 'set', 'blog', '--env', 'C=3', '--unset-env', 'A', '--egress', 'engine', '--https-redirect', 'on', '--balance', 'least-conn']));
  let s = await site();
  assert.equal(s.replicas, 3);
  assert.equal(s.healthPath, '/healthz');
  assert.deepEqual(s.env, { B: 'x=y', C: '3' });
  assert.equal(s.egress, 'engine');
  assert.equal(s.httpsRedirect, true);
  assert.deepEqual(s.balance, { policy: 'least-conn' });
  assert.deepEqual(s.limits, { maxBodyBytes: 1000, maxHeaderBytes: 4096 }, 'the other settings are untouched');
  ok(await h.corral(['site', 'set', 'blog', '--health', 'default', '--egress', 'default', '--https-redirect', 'default', '--balance', 'default']));
  s = await site();
  assert.equal(s.healthPath, '/');
  assert.equal(s.egress, 'none');
  assert.equal(s.httpsRedirect, false);
  assert.deepEqual(s.balance, { policy: 'round-robin' });

  // an app's command
  const cmd = ok(await h.corral(['site', 'set', 'shop', '--command', 'node server.js --port $PORT']));
  assert.match(cmd.out, /command\s+node server\.js --port \$PORT/);
  assert.equal((await site('shop')).command, 'node server.js --port $PORT');

  // site show: every setting, readable
  const show = ok(await h.corral(['site', 'show', 'blog']));
  assert.match(show.out, /^limits\s+maxBodyBytes=1000 maxHeaderBytes=4096$/m);
  assert.match(show.out, /^health checks\s+intervalMs=5000 timeoutMs=500 fall=4 expectStatus=204$/m);
  assert.match(show.out, /^env\s+B C$/m, 'names only: values may be secrets');
  assert.match(show.out, /^balancing\s+round-robin$/m);
});

test('site set refuses bad values with one line and changes nothing', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog'), customer: 'acme', limits: { maxBodyBytes: 10 } })).status, 201);
  const before = (await h.admin.get('/v1/sites/blog')).json.site;
  const cases: [string[], RegExp][] = [
    [['--rate', 'lots'], /--rate must be a whole number or default, got "lots"/],
    [['--rate', '0'], /body\.limits\.requestsPerSecond must be >= 1/],
    [['--rate', ''], /--rate must be a whole number or default/],
    [['--memory', '-5'], /--memory must be a whole number or default/],
    [['--cpu', 'x'], /--cpu must be a positive number of cores/],
    [['--health-interval', 'soon'], /--health-interval must be a duration/],
    [['--health-check', 'maybe'], /--health-check must be on, off or default/],
    [['--remove-domain', 'nope.example.com'], /--remove-domain nope\.example\.com: the site has no such domain/],
    [['--remove-domain', 'blog.example.com'], /at least one domain/],
    [['--domain', 'x.example.com', '--add-domain', 'y.example.com'], /--domain replaces the domains/],
    [['--unset-env', 'NOPE'], /--unset-env NOPE: the site has no such variable/],
    [['--env', 'NOEQUALS'], /--env wants KEY=VALUE/],
    [['--egress', 'internet'], /--egress must be none, engine or default/],
    [['--command', 'node x.js'], /body\.command is not allowed when kind is "static"/],
    [['--domain', 'localhost'], /domain localhost cannot be claimed/],
    [[], /nothing to set/],
  ];
  for (const [flags, message] of cases) {
    const r = await h.corral(['site', 'set', 'blog', ...flags]);
    assert.equal(r.code, 1, `${flags.join(' ')} is refused`);
    assert.match(r.err, message, flags.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  assert.deepEqual((await h.admin.get('/v1/sites/blog')).json.site, before, 'nothing changed');
});

test('site set --replicas and corral scale take plain decimal digits only: 0x10, 1e1, 0b1, +5, 5.0 and "" are refused in one line, nothing changed', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.example.com'], kind: 'app', command: 'node a.js', replicas: 1 })).status, 201);
  const stored = async () => (await h.admin.get('/v1/sites/shop')).json.site;
  const before = await stored();
  for (const bad of ['0x10', '0X3', '1e1', '0b1', '0o7', '+5', '-1', '5.0', '', ' 5 ']) {
    const set = await h.corral(['site', 'set', 'shop', '--replicas', bad]);
    assert.equal(set.code, 1, `site set --replicas ${JSON.stringify(bad)} is refused`);
    assert.equal(set.err, `error: --replicas must be a whole number or default, got "${bad}"`);
    assert.equal(set.out, '');
    const scale = await h.corral(['scale', 'shop', bad]);
    assert.equal(scale.code, 1, `scale shop ${JSON.stringify(bad)} is refused`);
    assert.equal(scale.err, `error: replicas must be a whole number, got "${bad}"`);
    assert.equal(scale.out, '');
  }
  // site create takes the same --replicas (and adds no site for a bad one)
  const create = await h.corral(['site', 'create', 'blog', '--customer', 'acme', '--domain', 'blog.example.com', '--replicas', '0x2']);
  assert.equal(create.code, 1);
  assert.equal(create.err, 'error: --replicas must be a whole number or default, got "0x2"');
  assert.equal((await h.admin.get('/v1/sites/blog')).status, 404);
  assert.deepEqual(await stored(), before, 'nothing changed');

  // plain decimals still work
  assert.match(ok(await h.corral(['site', 'set', 'shop', '--replicas', '2'])).out, /^site shop updated$/m);
  assert.equal((await stored()).replicas, 2);
  assert.equal(ok(await h.corral(['scale', 'shop', '3'])).out, 'site shop scaled to 3 replica(s)');
  assert.equal((await stored()).replicas, 3);
  assert.equal(ok(await h.corral(['scale', 'shop', '0'])).out, 'site shop scaled to 0 replica(s)');
  assert.equal((await stored()).replicas, 0);
});

test('the PATCH API: a null resource removes it; other fields merge as before; null elsewhere is refused', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { resources: { memoryMb: 128, pids: 32 }, limits: { maxBodyBytes: 5, burst: 2 } }))).status, 201);
  const r = await acme.patch('/v1/sites/blog', { resources: { memoryMb: null, cpu: 1 } });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json.site.resources, { pids: 32, cpu: 1 });
  // limits keep their documented whole-object replacement (backward compatible)
  assert.deepEqual((await acme.patch('/v1/sites/blog', { limits: { burst: 3 } })).json.site.limits, { burst: 3 });
  const bad = await acme.patch('/v1/sites/blog', { limits: { burst: null } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'invalid_request');
  const badRes = await acme.patch('/v1/sites/blog', { resources: { memoryMb: 1 } });
  assert.equal(badRes.status, 400, 'a resource out of range is still refused');
  assert.equal(badRes.json.error.message, 'body.resources.memoryMb must be >= 16', 'the value\'s rule, not the null alternative');
  assert.equal((await acme.patch('/v1/sites/blog', { resources: { cpu: 'lots' } })).json.error.message, 'body.resources.cpu must be number');
});

test('corral site set through the real binary: merges limits and prints what changed', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { limits: { maxBodyBytes: 2048 } }))).status, 201);
  const env = { CORRAL_API: h.url, CORRAL_TOKEN: acme.token! };
  const r = await corralBin(['site', 'set', 'blog', '--rate', '20'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^site blog updated$/m);
  assert.match(r.out, /^limits\s+maxBodyBytes=2048 requestsPerSecond=20$/m);
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.limits, { maxBodyBytes: 2048, requestsPerSecond: 20 });
  const json = await corralBin(['site', 'set', 'blog', '--rate', 'default', '--json'], env);
  assert.deepEqual(JSON.parse(json.out).site.limits, { maxBodyBytes: 2048 });
  const quiet = await corralBin(['--quiet', 'site', 'set', 'blog', '--burst', '4'], env);
  assert.equal(quiet.code, 0, quiet.err);
  assert.equal(quiet.out, '');
});
