// A bench backend: node:http answering every request with the same 1 KiB body.
// Usage: node bench/router-backend.mjs PORT
import { createServer } from 'node:http';

const body = Buffer.alloc(1024, 'x');
createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
