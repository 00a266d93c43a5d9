// The `corral` command: parse, dispatch, and turn every failure into one clear line.
// Each command's module is loaded only when that command runs (`corral status` never loads
// the farm): COMMANDS names them; `--help` shows stubs with the same names and descriptions.
import { Command, CommanderError } from 'commander';
import { CorralError } from '../lib/errors.ts';
import { makeContext, type Context } from './context.ts';
import { stdio, type Printer } from './output.ts';

type Register = (program: Command, ctx: Context) => void;

interface Entry {
  /** The top-level commands the module registers, with their arguments and help line (for the stubs). */
  commands: [usage: string, description: string][];
  load: () => Promise<Register>;
}

/** In help order. */
export const COMMANDS: Entry[] = [
  { commands: [['up', 'run the whole farm on this machine (controller, engine, router) until Ctrl-C']], load: async () => (await import('./commands/up.ts')).registerUp },
  { commands: [['customer', 'manage customers (admin)']], load: async () => (await import('./commands/customer.ts')).registerCustomer },
  {
    commands: [['site', 'manage sites'], ['scale <site> <replicas>', 'set the number of virtual servers of a site (0–20)'], ['rollback <site>', 'go back to the previous release, or --to a given one (rolled out like a deploy)']],
    load: async () => (await import('./commands/site.ts')).registerSite,
  },
  { commands: [['deploy <dir>', 'upload a folder (or a .tar.gz) as a new release and roll it out']], load: async () => (await import('./commands/deploy.ts')).registerDeploy },
  {
    commands: [['status', 'the farm at a glance: engines, sites and virtual servers'], ['vs', 'virtual servers']],
    load: async () => (await import('./commands/status.ts')).registerStatus,
  },
  { commands: [['logs <site>', "print a site's logs"]], load: async () => (await import('./commands/logs.ts')).registerLogs },
  { commands: [['controller', 'run a controller of a farm on etcd (API, blobs; the elected leader also reconciles) until Ctrl-C']], load: async () => (await import('./commands/controller.ts')).registerController },
  { commands: [['engine', 'run an engine that joins a farm (--join), or manage engines: list, drain, undrain']], load: async () => (await import('./commands/engine.ts')).registerEngine },
  { commands: [['router', 'run a router that joins a farm on etcd until Ctrl-C']], load: async () => (await import('./commands/router.ts')).registerRouter },
  { commands: [['join-token', 'manage the tokens engines and routers join the farm with (admin)']], load: async () => (await import('./commands/join-token.ts')).registerJoinToken },
  { commands: [['drill', 'rehearse failure on this farm (kill a VS, crash an engine, kill the leader, partition an engine) and report what clients saw']], load: async () => (await import('./commands/drill.ts')).registerDrill },
  { commands: [['events', 'the audit trail (who changed what) and farm events (crashes, OOM kills, lost engines, failovers)']], load: async () => (await import('./commands/events.ts')).registerEvents },
  { commands: [['releases <site>', "list a site's releases (current and previous marked)"]], load: async () => (await import('./commands/releases.ts')).registerReleases },
  { commands: [['cert', "manage a site's TLS certificate (HTTPS with SNI)"]], load: async () => (await import('./commands/cert.ts')).registerCert },
  {
    commands: [['backup', "write a backup of the farm (store, release blobs, certificates, customers' tokens) to a file (admin)"], ['restore <archive>', 'lay out a farm folder from a backup, for corral up --dir <folder>']],
    load: async () => (await import('./commands/backup.ts')).registerBackup,
  },
  { commands: [['db', "manage customers' PostgreSQL databases, backups and restores"]], load: async () => (await import('./commands/db.ts')).registerDb },
  { commands: [['completion <shell>', 'print a shell completion script (bash or zsh): source <(corral completion bash)']], load: async () => (await import('./commands/completion.ts')).registerCompletion },
];

/** The program with every command loaded (tests, completion). */
export async function buildProgram(print: Printer = stdio): Promise<Command> {
  const program = baseProgram(print);
  const ctx = makeContext(program, print);
  for (const entry of COMMANDS) (await entry.load())(program, ctx);
  return program;
}

/** The program with only the command argv names loaded; the others as help stubs. */
export async function programFor(argv: string[], print: Printer = stdio): Promise<Command> {
  const program = baseProgram(print);
  const ctx = makeContext(program, print);
  const word = commandWord(argv);
  const entry = COMMANDS.find((e) => e.commands.some(([usage]) => usage.split(' ')[0] === word));
  if (entry) {
    (await entry.load())(program, ctx);
    return program;
  }
  for (const e of COMMANDS) for (const [usage, description] of e.commands) program.command(usage).description(description);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  quietOnBrokenPipe();
  const code = await run(argv, stdio);
  if (code !== 0) process.exitCode = code;
}

/** Runs one command line; returns the exit code (errors printed as one line on print.err). */
export async function run(argv: string[], print: Printer): Promise<number> {
  try {
    await (await programFor(argv, print)).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, print);
  }
}

function baseProgram(print: Printer): Command {
  return new Command('corral')
    .configureOutput({ writeOut: (text) => print.out(text.replace(/\n$/, '')), writeErr: (text) => print.err(text.replace(/\n$/, '')) })
    .description('Corral: a web server farm — engines, virtual servers, a router and a controller')
    .option('--api <url>', 'controller API (default: $CORRAL_API or .corral/api-url)')
    .option('--token <token>', 'bearer token (default: $CORRAL_TOKEN or .corral/admin-token)')
    .option('--dir <dir>', 'state folder to read api-url and admin-token from (default .corral)')
    .option('-q, --quiet', 'print only what a script needs: names (listings), ids and tokens; no progress or confirmations')
    .addHelpText('after', '\nEvery listing takes --json; wide columns are behind --wide. Settings: a flag changes only its own setting; `default` as its value removes it.')
    .showHelpAfterError('(run corral --help for the commands)')
    .exitOverride();
}

/** The command named in argv (after the global options), `help <command>` included. */
function commandWord(argv: string[]): string | undefined {
  const withValue = new Set(['--api', '--token', '--dir']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (withValue.has(a)) i++;
    else if (a === 'help') return argv.slice(i + 1).find((x) => !x.startsWith('-'));
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** `corral status | head`: once the reader has gone, stop quietly with success. */
function quietOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(stream === process.stdout ? 0 : process.exitCode ?? 0);
      throw err;
    });
  }
}

function reportError(err: unknown, print: Printer): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof CorralError) {
    print.err(`error: ${err.message}`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  print.err(`error: ${e?.message ?? String(err)}${process.env.CORRAL_DEBUG ? `\n${e?.stack}` : ''}`);
  return 1;
}
