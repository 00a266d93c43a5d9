import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLineStamper } from './line-stamper.ts';
import { parseStamped } from '../lib/stamped-line.ts';

async function stamp(chunks: (string | Buffer)[]): Promise<string> {
  const at = new Date('2026-12-04T15:04:00.123Z');
  const t = createLineStamper(() => at);
  const out: Buffer[] = [];
  t.on('data', (d: Buffer) => out.push(d));
  for (const c of chunks) t.write(c);
  t.end();
  await new Promise((r) => t.once('end', r));
  return Buffer.concat(out).toString('utf8');
}

test('every line starts with its time, lines cut across chunks get one stamp', async () => {
  const out = await stamp(['one\ntw', 'o\n', 'three\nfour']);
  assert.equal(out, '2026-12-04T15:04:00.123Z one\n2026-12-04T15:04:00.123Z two\n2026-12-04T15:04:00.123Z three\n2026-12-04T15:04:00.123Z four');
  assert.deepEqual(parseStamped(out.split('\n')[1]!), { time: '2026-12-04T15:04:00.123Z', text: 'two' });
});

test('a multi-byte character cut between chunks stays whole; empty lines are stamped too', async () => {
  const snow = Buffer.from('☃\n\n');
  const out = await stamp([snow.subarray(0, 1), snow.subarray(1)]);
  assert.equal(out, '2026-12-04T15:04:00.123Z ☃\n2026-12-04T15:04:00.123Z \n');
});

test('a line without a stamp (written before stamping) parses with no time', () => {
  assert.deepEqual(parseStamped('listening on 3000'), { time: '', text: 'listening on 3000' });
  assert.deepEqual(parseStamped('2026-12-04 not a stamp'), { time: '', text: '2026-12-04 not a stamp' });
});
