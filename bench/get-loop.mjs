// GET loop through the router with a Host header (bench/server-crash.sh): concurrency C for S seconds;
// prints the count of each status, the slowest request and the span of the failures, as JSON.
import { request, Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
const [port, host, secs = '12', conc = '8'] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(conc) });
const end = Date.now() + Number(secs) * 1000;
const counts = {}; let slowest = 0; const fails = [];
const get = () => new Promise((resolve) => {
  const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); res.on('error', (e) => resolve('err:' + e.code)); });
  req.on('error', (e) => resolve('err:' + (e.code ?? e.message)));
  req.end();
});
async function worker() {
  while (Date.now() < end) {
    const t0 = performance.now();
    const status = await get();
    const ms = performance.now() - t0; if (ms > slowest) slowest = ms;
    counts[status] = (counts[status] ?? 0) + 1;
    if (status !== 200) fails.push([Date.now(), status]);
  }
}
await Promise.all(Array.from({ length: Number(conc) }, worker));
const span = fails.length ? fails[fails.length - 1][0] - fails[0][0] : 0;
console.log(JSON.stringify({ counts, slowestMs: Math.round(slowest), failSpanMs: span }));
agent.destroy();
