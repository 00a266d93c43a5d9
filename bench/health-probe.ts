// The engine's health probe, run with `node --import tsx bench/health-probe.ts [N]`: CPU of
// this process per probe of one VS (a Node server in a child process, so its side is not
// counted), N probes (default 3,000) each after a 5 ms pause so every probe is a cold
// wake-up, as an engine's are. Side by side in one run: the engine's check
// (src/engine/health-check.ts, its own HTTP/1.1 client on a kept connection) and Node's
// http client with a keep-alive agent (what the engine used before), in interleaved rounds,
// and the pause alone, which both include. Prints µs of CPU per probe and the ratio.
import { fork } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpHealthCheck, HEALTH_HEADER, HEALTH_USER_AGENT } from '../src/engine/health-check.ts';

if (process.argv[2] === 'serve') {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  const N = Number(process.argv[2] ?? 3_000);
  const child = fork(new URL(import.meta.url).pathname, ['serve'], { execArgv: process.execArgv });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const target = { address: '127.0.0.1', port, path: '/.corral/health', host: 'site.example' };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' });
  const nodeHttp = () => new Promise<boolean>((resolve) => {
    const req = http.get({ host: target.address, port, path: target.path, headers: { host: target.host, 'user-agent': HEALTH_USER_AGENT, [HEALTH_HEADER]: '1' }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 0) < 400));
    });
    req.on('error', () => resolve(false));
  });
  const kinds: [string, () => Promise<boolean>][] = [
    ['engine check', () => httpHealthCheck(target, 2_000)],
    ['node:http + keep-alive agent', nodeHttp],
    ['the pause alone', async () => true],
  ];
  const cpu = new Map<string, number[]>();
  for (let round = 0; round < 4; round++) {
    for (const [name, probe] of kinds) {
      for (let i = 0; i < 200; i++) await probe(); // warm
      const start = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        if (!(await probe())) throw new Error(`${name}: a probe failed`);
        await sleep(5);
      }
      const used = process.cpuUsage(start);
      if (round > 0) cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / N]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const pause = median(cpu.get('the pause alone')!);
  console.log(`health probe CPU per probe, ${N} probes × 3 rounds (after a warm-up round), medians; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
  for (const [name] of kinds) {
    const all = median(cpu.get(name)!);
    console.log(`  ${name.padEnd(30)} ${all.toFixed(0).padStart(4)} µs${name === 'the pause alone' ? '' : `, ${(all - pause).toFixed(0)} µs without the pause`}`);
  }
  const own = median(cpu.get('engine check')!) - pause;
  const node = median(cpu.get('node:http + keep-alive agent')!) - pause;
  console.log(`  ratio engine check / node:http: ${(own / node).toFixed(2)}`);
  child.kill();
}
