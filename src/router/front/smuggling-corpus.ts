// A corpus of malformed and request-smuggling requests, as raw bytes. Every case must
// be refused with a 4xx, and the request hidden in its body (GET /smuggled) must never
// reach a backend. Used by request-hygiene.test.ts and tls-hygiene.test.ts; kept apart so
// new cases are one line.

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n';

export interface MalformedCase {
  name: string;
  bytes: string;
}

/** A POST to s.test with the given extra header lines and body. */
function post(headers: string, body: string): string {
  return `POST / HTTP/1.1\r\nHost: s.test\r\n${headers}\r\n${body}`;
}

export const MALFORMED: readonly MalformedCase[] = [
  // Ambiguous framing: which length wins decides where the next request starts.
  { name: 'CL and TE', bytes: post('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'TE and CL', bytes: post('Transfer-Encoding: chunked\r\nContent-Length: 43\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'duplicate CL, different', bytes: post('Content-Length: 0\r\nContent-Length: 41\r\n', SMUGGLED) },
  { name: 'duplicate CL, same', bytes: post('Content-Length: 41\r\nContent-Length: 41\r\n', SMUGGLED) },
  { name: 'CL list', bytes: post('Content-Length: 41, 41\r\n', SMUGGLED) },
  { name: 'CL with plus sign', bytes: post('Content-Length: +41\r\n', SMUGGLED) },
  { name: 'CL negative', bytes: post('Content-Length: -1\r\n', SMUGGLED) },
  { name: 'CL hex', bytes: post('Content-Length: 0x29\r\n', SMUGGLED) },
  { name: 'CL with letters', bytes: post('Content-Length: 4a\r\n', SMUGGLED) },
  { name: 'CL overflow', bytes: post('Content-Length: 99999999999999999999999\r\n', SMUGGLED) },
  { name: 'TE chunked, identity', bytes: post('Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'TE identity', bytes: post('Transfer-Encoding: identity\r\n', SMUGGLED) },
  { name: 'TE xchunked', bytes: post('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'TE chunked twice (two lines, last not chunked)', bytes: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'TE with tab-prefixed name', bytes: post('\tTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'TE in an HTTP/1.0 request', bytes: `POST / HTTP/1.0\r\nHost: s.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'TE in a keep-alive HTTP/1.0 request', bytes: `POST / HTTP/1.0\r\nHost: s.test\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'TE with a vertical tab', bytes: post('Transfer-Encoding:\x0bchunked\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'space before colon (TE)', bytes: post('Transfer-Encoding : chunked\r\n', `0\r\n\r\n${SMUGGLED}`) },
  { name: 'space before colon (CL)', bytes: post('Content-Length : 41\r\n', SMUGGLED) },
  // Chunked bodies the parser must refuse.
  { name: 'chunk size not hex', bytes: post('Transfer-Encoding: chunked\r\n', `zz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  { name: 'chunk size with 0x', bytes: post('Transfer-Encoding: chunked\r\n', `0x5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  { name: 'chunk size negative', bytes: post('Transfer-Encoding: chunked\r\n', `-5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  { name: 'chunk size overflow', bytes: post('Transfer-Encoding: chunked\r\n', `fffffffffffffffff1\r\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  { name: 'chunk data longer than its size', bytes: post('Transfer-Encoding: chunked\r\n', `3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  { name: 'chunk size then bare LF', bytes: post('Transfer-Encoding: chunked\r\n', `5\nhello\r\n0\r\n\r\n${SMUGGLED}`) },
  // Header names and values.
  { name: 'invalid header name', bytes: post('Bad[Name]: x\r\nContent-Length: 0\r\n', SMUGGLED) },
  { name: 'header name with space', bytes: post('Bad Name: x\r\nContent-Length: 0\r\n', SMUGGLED) },
  { name: 'NUL in header value', bytes: post('X-A: a\x00b\r\nContent-Length: 0\r\n', SMUGGLED) },
  { name: 'bare CR in header value', bytes: post('X-A: a\rContent-Length: 41\r\n', SMUGGLED) },
  { name: 'bare LF after header', bytes: post('X-A: a\nContent-Length: 41\r\n', SMUGGLED) },
  { name: 'obs-fold', bytes: post('X-A: a\r\n b\r\nContent-Length: 0\r\n', SMUGGLED) },
  { name: 'obs-fold hiding TE', bytes: post('X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 41\r\n', SMUGGLED) },
  { name: 'header without colon', bytes: post('NoColonHere\r\nContent-Length: 0\r\n', SMUGGLED) },
  { name: 'empty header name', bytes: post(': x\r\nContent-Length: 0\r\n', SMUGGLED) },
  // Request line.
  { name: 'bare LF request line', bytes: `GET / HTTP/1.1\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'bare CR request line', bytes: `GET / HTTP/1.1\rHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'unknown version', bytes: `GET / HTTP/1.7\r\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'HTTP/2 version on HTTP/1', bytes: `GET / HTTP/2.0\r\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'invalid method', bytes: `G@T / HTTP/1.1\r\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'space in target', bytes: `GET /a b HTTP/1.1\r\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'over-long request line', bytes: `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'over-long header', bytes: `GET / HTTP/1.1\r\nHost: s.test\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n` },
  { name: 'too many headers in all', bytes: `GET / HTTP/1.1\r\nHost: s.test\r\n${'X-H: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(3000)}\r\n` },
  // Host.
  { name: 'asterisk-form', bytes: `OPTIONS * HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  // Absolute-form (request-target.ts): routed by its authority, never by the Host beside it.
  { name: 'absolute-form naming no site, Host a site', bytes: `GET http://evil.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with userinfo, a site before @', bytes: `GET http://s.test@evil.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with userinfo, a site after @', bytes: `GET http://evil.test@s.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with a backslash before @', bytes: `GET http://evil.test\\@s.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with a fragment before @', bytes: `GET http://evil.test#@s.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with a space after the host', bytes: `GET http://s.test /smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with a space in the path', bytes: `GET http://s.test/a b HTTP/1.1\r\nHost: s.test\r\n\r\n${SMUGGLED}` },
  { name: 'absolute-form with another scheme', bytes: `GET ftp://s.test/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form without a host', bytes: `GET http:///smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form with a bad port', bytes: `GET http://s.test:80x/smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n` },
  { name: 'absolute-form and two Host headers', bytes: `GET http://s.test/smuggled HTTP/1.1\r\nHost: s.test\r\nHost: other.test\r\n\r\n` },
  { name: 'absolute-form and a Host that is not host[:port]', bytes: `GET http://s.test/smuggled HTTP/1.1\r\nHost: s.test/x\r\n\r\n` },
  { name: 'absolute-form with CL and TE', bytes: `POST http://s.test/ HTTP/1.1\r\nHost: other.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'absolute-form, HTTP/1.0 with TE and no Host', bytes: `POST http://s.test/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'two Host headers', bytes: `GET /smuggled HTTP/1.1\r\nHost: s.test\r\nHost: other.test\r\n\r\n` },
  { name: 'two Host headers, the first no site', bytes: `GET /smuggled HTTP/1.1\r\nHost: nope.test\r\nHost: s.test\r\n\r\n` },
  { name: 'no Host in HTTP/1.1', bytes: `GET /smuggled HTTP/1.1\r\n\r\n` },
  { name: 'Host with a path', bytes: `GET /smuggled HTTP/1.1\r\nHost: s.test/x\r\n\r\n` },
  { name: 'Host with a space', bytes: `GET /smuggled HTTP/1.1\r\nHost: s.test other.test\r\n\r\n` },
];
