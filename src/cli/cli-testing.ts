// Test helpers for the CLI: a real controller (SQLite, port 0 on loopback) and `corral`
// run in this process against it, its output captured; or through the real binary.
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startController, type Harness } from '../controller/test-harness.ts';
import { run } from './main.ts';

export const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliHarness extends Harness {
  url: string;
  /** `corral <args>` in this process with the admin token (or `token`). */
  corral(args: string[], token?: string): Promise<CliRun>;
}

export async function startCliHarness(t: TestContext): Promise<CliHarness> {
  const h = await startController(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const corral = async (args: string[], token = h.admin.token!): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['--api', url, '--token', token, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return { ...h, url, corral };
}

/** The real binary (dist/: `npm run build` first), with stdin `input`. */
export function corralBin(args: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [CORRAL_BIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    );
    child.stdin?.end(input);
  });
}
