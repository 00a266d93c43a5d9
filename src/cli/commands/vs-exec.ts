// corral vs exec <vs> -- <command…>: run a command inside a virtual server (admin token),
// printing its output; the CLI exits with the command's exit code.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { decimal } from './numbers.ts';

interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function registerVsExec(vs: Command, ctx: Context): void {
  vs.command('exec')
    .description('run a command inside a virtual server as its own user (admin; namespace runtime)')
    .argument('<vs>', 'virtual server name (see corral vs list)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--timeout <seconds>', 'give up after this long', '30')
    .option('--json', 'print {stdout, stderr, code} as JSON instead of the output itself')
    .action(async (name: string, argv: string[], o: { timeout: string; json?: boolean }) => {
      const seconds = decimal(o.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) throw new CliError(`--timeout must be 1–600 seconds, got "${o.timeout}"`);
      const r = await ctx.api().post<ExecResult>(`/v1/vs/${encodeURIComponent(name)}/exec`, { argv, timeoutMs: Math.round(seconds * 1000) });
      if (o.json) {
        ctx.print.out(JSON.stringify(r, null, 2));
        process.exitCode = r.code;
        return;
      }
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
}
