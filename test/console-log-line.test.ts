// The console's reading of log lines (console/src/parts/log-line.ts): JSON lines apart,
// router access lines with a level from their status, anything else kept as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atLeast, parseLogLine } from '../console/src/parts/log-line.ts';

test('a pino line gives its time, level, message and the other keys, without the noise', () => {
  const l = parseLogLine('www-1a2b3c | {"level":30,"time":1764860640123,"pid":7,"hostname":"h","part":"web-runtime","msg":"web runtime listening","port":8080}');
  assert.equal(l.vs, 'www-1a2b3c');
  assert.equal(l.level, 'info');
  assert.equal(l.time?.toISOString(), '2025-12-04T15:04:00.123Z');
  assert.equal(l.message, 'web runtime listening');
  assert.deepEqual(l.fields, [['part', 'web-runtime'], ['port', 8080]]);
  assert.equal(l.source, undefined, 'guest output by default');
});

test('a request line names its path (health checks can be told apart) and string levels are read', () => {
  const l = parseLogLine('app-1 | 2026-12-04T15:04:00.123Z {"severity":"WARNING","message":"slow","url":"/health?full=1","ms":900}');
  assert.equal(l.time?.toISOString(), '2026-12-04T15:04:00.123Z', 'the engine\'s stamp is the time');
  assert.equal(l.level, 'warn');
  assert.equal(l.path, '/health');
  assert.ok(atLeast(l, 'warn') && !atLeast(l, 'error'));
});

test('router access lines get their source, path and a level from the status', () => {
  const notFound = parseLogLine('router | GET www.acme.test/missing?x=1 404 120B 1.2ms -> www-1a2b3c');
  assert.deepEqual([notFound.source, notFound.path, notFound.level], ['router', '/missing', 'warn']);
  assert.equal(parseLogLine('router | GET www.acme.test/ 502 0B 3ms -> -').level, 'error');
  assert.equal(parseLogLine('router | {"source":"router","level":30,"msg":"x"}').source, 'router');
});

test('hostile or plain lines stay text: no throw, nothing invented', () => {
  for (const raw of ['', ' | ', 'no bar at all', 'w | {not json', 'w | [1,2]', 'w | null', 'w | {"level":"loud","time":"never"}', 'w | {"__proto__":{"x":1}}']) {
    const l = parseLogLine(raw);
    assert.equal(typeof l.message, 'string', raw);
    assert.equal(l.time, undefined, raw);
  }
  assert.equal(parseLogLine('w | plain text').message, 'plain text');
  assert.equal(parseLogLine('w | plain text').level, undefined);
  assert.ok(atLeast(parseLogLine('w | plain'), 'info') && !atLeast(parseLogLine('w | plain'), 'warn'), 'an unknown level counts as info');
});
