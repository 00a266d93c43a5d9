// Runs a host tool (ip, bridge, nsenter) and resolves its output; a failure becomes
// ENGINE_HOST_COMMAND_FAILED with the tool's stderr.

import { execFile } from 'node:child_process';
import { HostCommandError } from '../errors.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run file with args (stdin optional); reject on a non-zero exit unless allowFail. */
export function run(file: string, args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 4 * 2 ** 20, ...(opts.env ? { env: opts.env } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      if (err && !opts.allowFail) reject(new HostCommandError(`${file} ${args.join(' ')}`, stderr.trim() || err.message));
      else resolve({ stdout, stderr, code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
