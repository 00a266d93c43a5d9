import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { EngineLogs, VsLogInfo } from './options.ts';
import type { RouterLogs } from './options.ts';
import { keys, type Assignment, type VsStatus } from '../model/index.ts';
import { waitFor } from '../lib/wait.ts';
import { staticSite, startController } from './test-harness.ts';

/** EngineLogs over in-memory lines; `emit` delivers a new line to followers. */
function fakeLogs(lines: Record<string, string[]>, files: VsLogInfo[] = []) {
  const followers = new Map<string, (line: string) => void>();
  const logs: EngineLogs = {
    listVsLogs: async (site?: string) => files.filter((f) => site === undefined || f.site === site),
    tail: async (vs: string, n: number) => (lines[vs] ?? []).slice(-n),
    follow: (vs: string, onLine: (line: string) => void, how?: { fromStart?: boolean }) => {
      followers.set(vs, onLine);
      if (how?.fromStart) for (const line of lines[vs] ?? []) onLine(line);
      return () => {
        followers.delete(vs);
      };
    },
  };
  return { logs, followers, emit: (vs: string, line: string) => followers.get(vs)?.(line) };
}

/** A static site with VSs of its own (`pooled: false`): these tests read per-site VS logs (logs-pooled.test.ts: a pooled site's). */
const ownVsSite = (name: string) => staticSite(name, { pooled: false });

async function siteWithVs(t: Parameters<typeof startController>[0], engineLogs?: EngineLogs) {
  const h = await startController(t, engineLogs ? { engineLogs } : {});
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', ownVsSite('blog'));
  const a: Assignment = { vs: 'blog-a', engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' };
  await h.store.put(keys.assignment('e1', 'blog-a'), JSON.stringify(a));
  return { h, acme };
}

test('logs tail each VS, prefixed with its name', async (t) => {
  const fake = fakeLogs({ 'blog-a': ['one', 'two', 'three'] });
  const { acme } = await siteWithVs(t, fake.logs);
  const res = await acme.get('/v1/sites/blog/logs?tail=2');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  assert.equal(res.body, 'blog-a | two\nblog-a | three\n');
});

test('logs without an engine log reader answer 501', async (t) => {
  const { acme } = await siteWithVs(t);
  const res = await acme.get('/v1/sites/blog/logs');
  assert.equal(res.status, 501);
  assert.equal(res.json.error.code, 'not_implemented');
});

test('follow streams new lines until the client disconnects', async (t) => {
  const fake = fakeLogs({ 'blog-a': ['old'] });
  const { h, acme } = await siteWithVs(t, fake.logs);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/v1/sites/blog/logs?follow=true', agent: false, headers: { authorization: `Bearer ${acme.token}` } });
  t.after(() => req.destroy());
  const [res] = (await once(req.end(), 'response')) as [IncomingMessage];
  assert.equal(res.statusCode, 200);
  let text = '';
  res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitFor(() => text.includes('blog-a | old\n'), { what: 'the tail' });
  await waitFor(() => fake.followers.has('blog-a'), { what: 'the follower' });
  fake.emit('blog-a', 'new line');
  await waitFor(() => text.includes('blog-a | new line\n'), { what: 'the new line' });
  req.destroy();
  await waitFor(() => !fake.followers.has('blog-a'), { what: 'the follower to stop' });
});

test('closing the controller ends followed streams', async (t) => {
  const fake = fakeLogs({});
  const { h, acme } = await siteWithVs(t, fake.logs);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/v1/sites/blog/logs?follow=true', agent: false, headers: { authorization: `Bearer ${acme.token}` } });
  t.after(() => req.destroy());
  const [res] = (await once(req.end(), 'response')) as [IncomingMessage];
  res.resume();
  await waitFor(() => fake.followers.has('blog-a'), { what: 'the follower' });
  const ended = once(res, 'end');
  await h.app.close();
  await ended;
  assert.equal(fake.followers.size, 0);
});

test('a site re-created under a deleted site\'s name sees none of the old VSs, not even one only a status still names', async (t) => {
  const fake = fakeLogs({ 'blog-old': ['secret of the old owner'], 'blog-new': ['mine'] });
  const h = await startController(t, { engineLogs: fake.logs });
  const acme = await h.customer('acme');
  const old = (await acme.post('/v1/sites', ownVsSite('blog'))).json.site as { id: string };
  // the old site's VS is stopping: its assignment is gone, its status is not yet
  const stopping: VsStatus = { vs: 'blog-old', engine: 'e1', site: 'blog', siteId: old.id, release: 'v1', state: 'stopping', restarts: 0, updatedAt: '' };
  await h.store.put(keys.vsStatus('e1', 'blog-old'), JSON.stringify(stopping));
  assert.equal((await acme.delete('/v1/sites/blog')).status, 204);
  const mallory = await h.customer('mallory');
  const fresh = (await mallory.post('/v1/sites', ownVsSite('blog'))).json.site as { id: string };
  const a: Assignment = { vs: 'blog-new', engine: 'e1', site: 'blog', siteId: fresh.id, customer: 'mallory', kind: 'static', release: 'v1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' };
  await h.store.put(keys.assignment('e1', 'blog-new'), JSON.stringify(a));

  const logs = await mallory.get('/v1/sites/blog/logs');
  assert.equal(logs.status, 200);
  assert.equal(logs.body, 'blog-new | mine\n');
  const status = await mallory.get('/v1/sites/blog/status');
  assert.deepEqual(status.json.virtualServers.map((v: { vs: string }) => v.vs), ['blog-new']);
  const all = await mallory.get('/v1/vs');
  assert.deepEqual(all.json.virtualServers.map((v: { vs: string }) => v.vs), ['blog-new']);
});

const T = (s: number) => `2026-12-04T15:00:0${s}.000Z`;

/** Router lines by site storage key (the site's id), as the router writes them. */
function fakeRouterLogs(lines: Record<string, string[]>): RouterLogs {
  return { tail: async (key, n) => (lines[key] ?? []).slice(-n), follow: () => () => {} };
}

test('tail counts lines in total, merging the VSs and the router in time order', async (t) => {
  const fake = fakeLogs({ 'blog-a': [`${T(1)} a1`, `${T(4)} a4`, `${T(6)} a6`], 'blog-b': [`${T(2)} b2`, `${T(5)} b5`] });
  const byKey: Record<string, string[]> = {};
  const h = await startController(t, { engineLogs: fake.logs, routerLogs: fakeRouterLogs(byKey) });
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', ownVsSite('blog'));
  const { id } = JSON.parse((await h.store.get(keys.site('blog')))!.value) as { id: string };
  byKey[id] = [`${T(3)} GET /x 200`, `${T(7)} GET /y 200`];
  byKey.blog = ['in a folder by the name: never read for a site with an id'];
  for (const vs of ['blog-a', 'blog-b']) {
    const a: Assignment = { vs, engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' };
    await h.store.put(keys.assignment('e1', vs), JSON.stringify(a));
  }
  assert.equal((await acme.get('/v1/sites/blog/logs?tail=4&source=all')).body, 'blog-a | a4\nblog-b | b5\nblog-a | a6\nrouter | GET /y 200\n');
  assert.equal((await acme.get('/v1/sites/blog/logs?tail=3&source=app')).body, 'blog-a | a4\nblog-b | b5\nblog-a | a6\n');
  assert.equal((await acme.get('/v1/sites/blog/logs?tail=10&source=router')).body, 'router | GET /x 200\nrouter | GET /y 200\n');
  const bad = await acme.get('/v1/sites/blog/logs?source=nginx');
  assert.equal(bad.status, 400);
});

test('source=router without a router log reader answers 501; app and all still work', async (t) => {
  const fake = fakeLogs({ 'blog-a': ['plain line without a time'] });
  const { acme } = await siteWithVs(t, fake.logs);
  assert.equal((await acme.get('/v1/sites/blog/logs?source=router')).status, 501);
  assert.equal((await acme.get('/v1/sites/blog/logs?source=all')).body, 'blog-a | plain line without a time\n');
  assert.equal((await acme.get('/v1/sites/blog/logs')).body, 'blog-a | plain line without a time\n', 'app is the default');
});

test('follow picks up a VS that starts later, from its first line', async (t) => {
  const fake = fakeLogs({ 'blog-a': [], 'blog-b': [`${T(1)} b first`] });
  const { h, acme } = await siteWithVs(t, fake.logs);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/v1/sites/blog/logs?follow=true&tail=0', agent: false, headers: { authorization: `Bearer ${acme.token}` } });
  t.after(() => req.destroy());
  const [res] = (await once(req.end(), 'response')) as [IncomingMessage];
  let text = '';
  res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitFor(() => fake.followers.has('blog-a'), { what: 'the first follower' });
  const b: Assignment = { vs: 'blog-b', engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' };
  await h.store.put(keys.assignment('e1', 'blog-b'), JSON.stringify(b));
  await waitFor(() => text.includes('blog-b | b first\n'), { what: 'the new VS followed' });
  fake.emit('blog-b', `${T(2)} b second`);
  await waitFor(() => text.includes('blog-b | b second\n'), { what: 'its next line' });
});

test("a retired VS's last lines are read with the current ones, in time order — never a namesake site's", async (t) => {
  const at = (s: number) => `2026-12-06T20:00:0${s}.000Z`;
  const lines = {
    'blog-a': [`${at(3)} serving v2`],
    'blog-old': [`${at(1)} v1 starting`, `${at(2)} v1 sigterm`],
    'blog-gone': [`${at(0)} a deleted blog's secret`],
  };
  const files: VsLogInfo[] = [];
  const fake = fakeLogs(lines, files);
  const { acme } = await siteWithVs(t, fake.logs);
  const id = (await acme.get('/v1/sites/blog')).json.site.id as string;
  assert.ok(id);
  const file = (vs: string, siteId: string, updatedAt: string): VsLogInfo => ({ vs, site: 'blog', siteId, file: `/x/${vs}.log`, bytes: 1, updatedAt });
  files.push(file('blog-a', id, at(3)), file('blog-old', id, at(2)), file('blog-gone', 'an-older-blog', at(0)));
  const res = await acme.get('/v1/sites/blog/logs');
  assert.equal(res.body, 'blog-old | v1 starting\nblog-old | v1 sigterm\nblog-a | serving v2\n');
});

test('timestamps=true begins each line with the time it was written, tail and follow alike; a line without one has none', async (t) => {
  const fake = fakeLogs({ 'blog-a': ['unstamped', '2026-12-06T20:00:01.000Z one'] });
  const { h, acme } = await siteWithVs(t, fake.logs);
  assert.equal((await acme.get('/v1/sites/blog/logs?timestamps=true')).body, 'blog-a | unstamped\n2026-12-06T20:00:01.000Z blog-a | one\n');
  assert.equal((await acme.get('/v1/sites/blog/logs')).body, 'blog-a | unstamped\nblog-a | one\n', 'without it, as before');
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/v1/sites/blog/logs?follow=true&timestamps=true&tail=0', agent: false, headers: { authorization: `Bearer ${acme.token}` } });
  t.after(() => req.destroy());
  const [res] = (await once(req.end(), 'response')) as [IncomingMessage];
  let text = '';
  res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitFor(() => fake.followers.has('blog-a'), { what: 'the follower' });
  fake.emit('blog-a', '2026-12-06T20:00:02.000Z two');
  await waitFor(() => text.includes('2026-12-06T20:00:02.000Z blog-a | two\n'), { what: 'the followed line with its time' });
  req.destroy();
});
