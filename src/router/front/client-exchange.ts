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
  once(event: 'close' | 'finish' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'finish' | 'drain', listener: () => void): unknown;
}

/**
 * Replies whose socket cannot count their bytes (node:http2's compat replies: their socket
 * is the session's, shared by every stream): the front counts the body bytes written to
 * each (node-front.ts) and the access record reads the count here (replyBytes).
 */
export const countedReplies = new WeakMap<ClientReply, { bytesWritten: number }>();

/** What the access record reads a reply's bytes from: the front's count, else its socket. */
export function replyBytes(res: ClientReply): { readonly bytesWritten: number } | null {
  return countedReplies.get(res) ?? res.socket;
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
