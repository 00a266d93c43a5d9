// The `corral` command: parse, dispatch, and turn every failure into one clear line.
import { Command, CommanderError } from 'commander';
import { CorralError } from '../lib/errors.ts';
import { makeContext } from './context.ts';
import { stdio, type Printer } from './output.ts';
import { registerCustomer } from './commands/customer.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerEvents } from './commands/events.ts';
import { registerReleases } from './commands/releases.ts';
import { registerLogs } from './commands/logs.ts';
import { registerSite } from './commands/site.ts';
import { registerStatus } from './commands/status.ts';
import { registerUp } from './commands/up.ts';
import { registerController } from './commands/controller.ts';
import { registerEngine } from './commands/engine.ts';
import { registerRouter } from './commands/router.ts';
import { registerJoinToken } from './commands/join-token.ts';
import { registerCert } from './commands/cert.ts';

export function buildProgram(print: Printer = stdio): Command {
  const program = new Command('corral')
    .description('Corral: a web server farm — engines, virtual servers, a router and a controller')
    .option('--api <url>', 'controller API (default: $CORRAL_API or .corral/api-url)')
    .option('--token <token>', 'bearer token (default: $CORRAL_TOKEN or .corral/admin-token)')
    .option('--dir <dir>', 'state folder to read api-url and admin-token from (default .corral)')
    .showHelpAfterError('(run corral --help for the commands)')
    .exitOverride();
  const ctx = makeContext(program, print);
  registerUp(program, ctx);
  registerCustomer(program, ctx);
  registerSite(program, ctx);
  registerDeploy(program, ctx);
  registerStatus(program, ctx);
  registerLogs(program, ctx);
  registerController(program, ctx);
  registerEngine(program, ctx);
  registerRouter(program, ctx);
  registerJoinToken(program, ctx);
  registerEvents(program, ctx);
  registerReleases(program, ctx);
  registerCert(program, ctx);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof CorralError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`error: ${e?.message ?? String(err)}${process.env.CORRAL_DEBUG ? `\n${e?.stack}` : ''}\n`);
  return 1;
}
