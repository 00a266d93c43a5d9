// The two sides of a client exchange as the request chain sees them. node:http's
// IncomingMessage/ServerResponse (and HTTP/2's compat objects) provide them, and so do
// the raw front's RawRequest/RawReply (raw-message.ts): everything from admission to the
// access log is written against these, never against one server's classes.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export interface ClientRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** [name, value, …] as received. */
  readonly rawHeaders: string[];
  readonly httpVersionMajor: number;
  /** remoteAddress; a TLS socket also has `encrypted`. */
  readonly socket: { readonly remoteAddress?: string | undefined };
  /** Read and drop any body (a reply that does not need it). */
  resume(): unknown;
}

export interface ClientReply {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  readonly req: { readonly httpVersionMajor: number };
  /** For the access log's byte count; null once node:http let go of it. */
  readonly socket: { readonly bytesWritten: number } | null;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this;
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): unknown;
  flushHeaders(): void;
  destroy(err?: Error): unknown;
  /** 100 Continue (node's replies; the raw front hands Expect requests to node). */
  writeContinue?(): unknown;
  /**
   * Set by the chain when its own answer closes the connection (a refusal, error-response.ts):
   * node's front forwards nothing that was pipelined behind it (node-front.ts).
   */
  closesConnection?: boolean;
  once(event: 'close' | 'finish' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'finish' | 'drain', listener: () => void): unknown;
}

/**
 * What counts the bytes of this reply for its access record, taken before anything is
 * written: node:http's and the raw front's socket (its bytesWritten), or on HTTP/2, whose
 * compat reply has no count of its own (its socket is the session's, shared by every stream,
 * and gone at 'close'), a count of the body bytes written to the stream; the headers are
 * compressed per connection and not counted. Only `write` is wrapped: the compat reply's
 * `end(chunk)` writes its chunk through `this.write`.
 */
export function replyBytes(res: ClientReply): { readonly bytesWritten: number } | null {
  if (res.req.httpVersionMajor !== 2) return res.socket;
  const sent = { bytesWritten: 0 };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((...args: unknown[]) => {
    const [chunk, encoding] = args;
    if (typeof chunk === 'string') sent.bytesWritten += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) sent.bytesWritten += chunk.byteLength;
    return write(...args);
  }) as ClientReply['write'];
  return sent;
}

/**
 * The reply was ended by the chain and written in full (else the client left, or the
 * connection was cut). writableFinished says so on node:http and the raw front; node:http2's
 * compat reply also reports it finished (and emits 'finish') when the client cancels the
 * stream, but not ended (writableEnded: the raw reply has none, its end is its finish).
 */
export function replyComplete(res: ClientReply): boolean {
  return res.writableFinished && (res as { writableEnded?: boolean }).writableEnded !== false;
}
