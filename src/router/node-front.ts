// Node's front: node:http's server (or node:http2's secure server with allowHTTP1) reads
// every request and emits it; the chain hears 'request' and 'upgrade'. It is the front with
// rawFront off, and the one the raw front hands a connection to (raw-server.ts).

import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { ClientReply } from './client-exchange.ts';
import type { Front, FrontRequest, RequestChain } from './front.ts';

export function installNodeFront(server: Server | Http2SecureServer, chain: RequestChain): Front {
  const onRequest = (req: FrontRequest, res: ClientReply): void => {
    // llhttp reads `HTTP/2.0` (or 0.9) in an HTTP/1 request line; only 1.0 and 1.1 are served
    // there, as the raw front does. HTTP/2's own requests come with their stream.
    if ((req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) && !('stream' in req)) return refuseVersion(res);
    chain.request(req, res);
  };
  server.on('request', onRequest as (...args: unknown[]) => void);
  server.on('upgrade', chain.upgrade);
  return {
    name: 'node',
    closeIdle() {
      // node:http closes its idle keep-alive connections; HTTP/2 sessions are told to go away by tls-server.ts
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    },
  };
}

function refuseVersion(res: ClientReply): void {
  res.writeHead(400, { connection: 'close', 'content-length': '0' });
  res.end();
}
