import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEventStream, readEvents, type StreamEvent } from './event-stream.ts';

async function* chunks(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function all(parts: string[]): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const ev of readEvents(chunks(parts))) out.push(ev);
  return out;
}

test('events split across chunks, CRLF lines, comments, multi-line data and a data-less block', async () => {
  const body = 'event: status\ndata: {"a":1}\n\n: keep-alive\n\nevent: status\r\ndata: {"b":\r\ndata: 2}\r\n\r\nevent: nothing\n\ndata: plain\n\nevent: cut';
  for (const split of [1, 3, 7, body.length]) {
    const parts: string[] = [];
    for (let i = 0; i < body.length; i += split) parts.push(body.slice(i, i + split));
    assert.deepEqual(await all(parts), [
      { event: 'status', data: '{"a":1}' },
      { event: 'status', data: '{"b":\n2}' },
      { event: 'message', data: 'plain' },
    ], `chunks of ${split}`);
  }
});

test('a body that breaks off throws to the reader', async () => {
  async function* broken(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode('event: status\ndata: 1\n\n');
    throw new TypeError('terminated');
  }
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const ev of readEvents(broken())) seen.push(ev.data);
  }, /terminated/);
  assert.deepEqual(seen, ['1']);
});

test('isEventStream: by content type', () => {
  assert.equal(isEventStream(new Response('', { headers: { 'content-type': 'text/event-stream; charset=utf-8' } })), true);
  assert.equal(isEventStream(new Response('{}', { headers: { 'content-type': 'application/json' } })), false);
});
