// A small Corral app site with no dependencies. It listens on $PORT/$HOST, says which
// virtual server answered, logs one JSON line per request (not for Corral's health probes,
// which carry `X-Corral-Health: 1` and the user agent `corral-health/1`), and drains on
// SIGTERM: stop accepting, finish in-flight, exit 0.

import http from 'node:http';
import { readFileSync } from 'node:fs';

const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST || '127.0.0.1';
const VERSION = process.env.APP_VERSION || readVersionFile() || '1';
const MAX_SLOW_MS = 60_000;
const MAX_ECHO_BYTES = 1024 * 1024;
const DRAIN_DEADLINE_MS = 10_000;

let draining = false;
const tunnels = new Set();

const ROUTES = {
  '/': (_req, res) =>
    sendJson(res, 200, {
      app: 'corral-example',
      version: VERSION,
      vs: process.env.CORRAL_VS ?? null,
      site: process.env.CORRAL_SITE ?? null,
      pid: process.pid,
    }),
  '/health': (_req, res) => sendText(res, 200, 'ok'),
  '/slow': (_req, res, url) => {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), MAX_SLOW_MS);
    setTimeout(() => sendJson(res, 200, { slept: ms, pid: process.pid }), ms);
  },
  '/echo': echo,
};

const server = http.createServer((req, res) => {
  if (draining) res.setHeader('Connection', 'close');
  // One line per request, but not for Corral's health probes (they carry X-Corral-Health: 1).
  if (req.headers['x-corral-health'] === undefined) {
    const started = Date.now();
    res.once('finish', () => log('request', { method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - started }));
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = Object.hasOwn(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined;
  if (!route) return sendJson(res, 404, { error: 'not found', path: url.pathname });
  route(req, res, url);
});

// An upgrade (WebSocket or any protocol) to /echo: 101, a greeting line naming the
// version and the virtual server, then every byte sent comes back (a raw echo, no framing).
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (draining || url.pathname !== '/echo' || !req.headers.upgrade) {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  socket.on('error', () => socket.destroy());
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${req.headers.upgrade.split(',')[0].trim()}\r\n\r\n`);
  socket.write(`hello ${VERSION} ${process.env.CORRAL_VS ?? ''}\n`);
  tunnels.add(socket);
  socket.once('close', () => tunnels.delete(socket));
  if (head.length > 0) socket.write(head);
  socket.pipe(socket);
});

function echo(req, res) {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendJson(res, 405, { error: 'use POST' });
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_ECHO_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_ECHO_BYTES) return sendJson(res, 413, { error: `body larger than ${MAX_ECHO_BYTES} bytes` });
    const body = Buffer.concat(chunks);
    res.writeHead(200, {
      'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(body);
  });
}

function sendJson(res, status, value) {
  sendText(res, status, JSON.stringify(value) + '\n', 'application/json; charset=utf-8');
}

function sendText(res, status, body, type = 'text/plain; charset=utf-8') {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readVersionFile() {
  try {
    return readFileSync(new URL('./VERSION', import.meta.url), 'utf8').trim();
  } catch {
    return '';
  }
}

function log(event, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), app: 'corral-example', pid: process.pid, event, ...fields }));
}

function shutdown(signal) {
  if (draining) return;
  draining = true;
  log('draining', { signal });
  // Idle keep-alive connections close now; busy ones once their response is done.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), DRAIN_DEADLINE_MS);
  deadline.unref();
  server.close(() => {
    clearInterval(sweep);
    clearTimeout(deadline);
    log('stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  // Upgraded connections are the app's own: end them, so clients reconnect elsewhere.
  for (const socket of tunnels) socket.end();
}

server.on('error', (err) => {
  log('listen_failed', { error: err.message });
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  const addr = server.address();
  log('listening', { host: HOST, port: typeof addr === 'object' && addr ? addr.port : PORT, version: VERSION });
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
