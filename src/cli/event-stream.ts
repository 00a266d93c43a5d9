// Server-sent events (the controller's /v1/status/stream, text/event-stream) read from a
// fetch body: each event's name and data, as the blocks arrive. Comments and fields other
// than `event` and `data` are skipped; a block without data is no event.

export interface StreamEvent {
  event: string;
  data: string;
}

export function isEventStream(res: Response): boolean {
  return (res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}

/** The events of body, in order; ends when the body ends (throws if it breaks off). */
export async function* readEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let cr = ''; // a chunk's last CR, held until we see whether an LF follows it
  for await (const chunk of body) {
    const text = cr + decoder.decode(chunk, { stream: true });
    cr = text.endsWith('\r') ? '\r' : '';
    buf += text.slice(0, text.length - cr.length).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const ev = parseBlock(buf.slice(0, end));
      buf = buf.slice(end + 2);
      if (ev) yield ev;
    }
  }
}

function parseBlock(block: string): StreamEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue; // a comment
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}
