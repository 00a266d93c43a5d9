// The farm node's one order: its folder made owner-only, the steps run store → controller →
// engine → router → last, each seeing the results before it, and the one stack unwound in
// the reverse, the heap settler (lib/heap-settle.ts) first. A step that throws unwinds what started, with close() or (asked) destroy(),
// and the error reaches the caller; so does a stop asked during start-up (always close()). A real SQLite store; the parts are named steps.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { openSqliteStore } from '../store/index.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { startFarmNode } from './farm-node.ts';
import type { Logger } from '../lib/log.ts';
import { captureLog } from '../lib/log-testing.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';

it('starts the steps in order, each with what came before, and stops in the reverse', async (t) => {
  const { root, log, stopped } = await setUp(t);
  const dir = join(root, 'node');
  const started: string[] = [];
  const part = (stack: ShutdownStack, name: string) => {
    started.push(name);
    stack.push(name, () => undefined);
    return name;
  };
  const node = await startFarmNode({
    log, dir,
    store: (stack) => openStore(stack, join(dir, 'store.db'), started),
    controller: async ({ stack }) => part(stack, 'controller'),
    engine: async ({ stack, controller }) => ({ after: controller, name: part(stack, 'engine') }),
    router: async ({ stack, engine }) => ({ after: engine.name, name: part(stack, 'router') }),
    last: async ({ stack, router }) => `${router.name} ${part(stack, 'last')}`,
  });
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.deepEqual(started, ['store', 'controller', 'engine', 'router', 'last']);
  assert.deepEqual([node.controller, node.engine.after, node.router.after, node.last], ['controller', 'controller', 'engine', 'router last']);
  await node.store.put('/probe', 'x');
  await node.stack.close();
  assert.deepEqual(stopped(), ['heap-settle', 'last', 'router', 'engine', 'controller', 'store'], 'the heap settler, started once all is up, stops first');
});

it('a role runs only its own step: the others are undefined', async (t) => {
  const { root, log } = await setUp(t);
  const node = await startFarmNode({
    log,
    store: (stack) => openStore(stack, join(root, 'store.db')),
    router: async ({ controller, engine }) => ({ controller, engine }),
  });
  onCleanup(t, () => node.stack.close()); // before the folder goes
  assert.deepEqual(node.router, { controller: undefined, engine: undefined });
  assert.equal(node.controller, undefined);
  assert.equal(node.last, undefined);
});

for (const how of ['close', 'destroy'] as const) {
  it(`a step that throws unwinds what started with ${how}() and rethrows`, async (t) => {
    const { root, log, stopped, hows } = await setUp(t);
    let engineRan = false;
    await assert.rejects(startFarmNode({
      log, ...(how === 'destroy' ? { onFailure: how } : {}),
      store: (stack) => openStore(stack, join(root, 'store.db')),
      controller: async ({ stack }) => {
        stack.push('controller', () => undefined);
        throw new Error('port taken');
      },
      engine: async () => {
        engineRan = true;
      },
    }), /port taken/);
    assert.equal(engineRan, false);
    assert.deepEqual(stopped(), ['controller', 'store']);
    assert.deepEqual(hows(), [how, how]);
  });
}

for (const onFailure of ['close', 'destroy'] as const) {
  it(`a stop asked during start-up (onFailure ${onFailure}) lets the step running finish, closes what started and rejects with its reason`, async (t) => {
    const { root, log, stopped, hows } = await setUp(t);
    const ctrlC = new AbortController();
    let engineRan = false;
    await assert.rejects(startFarmNode({
      log, onFailure, signal: ctrlC.signal,
      store: (stack) => openStore(stack, join(root, 'store.db')),
      controller: async ({ stack }) => {
        ctrlC.abort(new Error('Ctrl-C'));
        stack.push('controller', () => undefined); // started all the same: stopped with the rest
      },
      engine: async () => {
        engineRan = true;
      },
    }), /Ctrl-C/);
    assert.equal(engineRan, false);
    assert.deepEqual(stopped(), ['controller', 'store']);
    assert.deepEqual(hows(), ['close', 'close'], 'an asked stop, not a crash');
  });
}

async function openStore(stack: ShutdownStack, file: string, started?: string[]) {
  const store = await openSqliteStore(file);
  stack.push('store', () => store.close());
  started?.push('store');
  return store;
}

/** A temp folder, and a logger whose `shutdown.step` lines the test reads back. */
async function setUp(t: TestContext): Promise<{ root: string; log: Logger; stopped: () => string[]; hows: () => string[] }> {
  const { log, records } = captureLog();
  const root = await tempDir(t, 'corral-farm-node-');
  const steps = () => records().filter((l) => l.step !== undefined) as { step: string; how: string }[];
  return { root, log, stopped: () => steps().map((l) => l.step), hows: () => steps().map((l) => l.how) };
}
