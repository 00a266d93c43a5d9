import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { memoryCapacity } from './memory-flags.ts';

const MACHINE_MB = Math.floor(totalmem() / 2 ** 20);

test('--reserved-memory and --memory-overcommit: only those given reach the engine, which fills in its defaults', () => {
  assert.deepEqual(memoryCapacity({}), {});
  assert.deepEqual(memoryCapacity({ reservedMemory: '2048' }), { reservedMemoryMb: 2048 });
  assert.deepEqual(memoryCapacity({ memoryOvercommit: '1' }), { memoryOvercommit: 1 });
  assert.deepEqual(memoryCapacity({ reservedMemory: '0', memoryOvercommit: '2.5' }), { reservedMemoryMb: 0, memoryOvercommit: 2.5 });
  assert.deepEqual(memoryCapacity({ memoryOvercommit: '.5' }), { memoryOvercommit: 0.5 });
  assert.deepEqual(memoryCapacity({ reservedMemory: String(MACHINE_MB - 1) }), { reservedMemoryMb: MACHINE_MB - 1 });
});

test('bad values are refused with one line naming the flag and the range', () => {
  for (const bad of ['', '-1', '1.5', 'lots', '1e3', '0x10', String(MACHINE_MB)]) {
    assert.throws(() => memoryCapacity({ reservedMemory: bad }), new RegExp(`--reserved-memory must be a number of MiB from 0 to ${MACHINE_MB - 1} \\(this machine has ${MACHINE_MB} MiB\\), got "`), bad);
  }
  for (const bad of ['', '0', '0.05', '100.5', '-1', 'x', '1e1', '1,5']) {
    assert.throws(() => memoryCapacity({ memoryOvercommit: bad }), /--memory-overcommit must be a number from 0.1 to 100, got "/, bad);
  }
});
