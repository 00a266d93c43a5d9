// Node's front: node:http's server (or node:http2's secure server with allowHTTP1) reads
// every request and emits it; the chain hears 'request' and 'upgrade'. It is the front with
// rawFront off, and the one the raw front hands a connection to (raw-server.ts).

import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Front, RequestChain } from './front.ts';

export function installNodeFront(server: Server | Http2SecureServer, chain: RequestChain): Front {
  server.on('request', chain.request as (...args: unknown[]) => void);
  server.on('upgrade', chain.upgrade);
  return {
    name: 'node',
    closeIdle() {
      // node:http closes its idle keep-alive connections; HTTP/2 sessions are told to go away by tls-server.ts
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    },
  };
}
