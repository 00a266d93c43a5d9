// corral logs <site> [-f] [-n N] [--source app|router|all] [-t]: the site's virtual servers' output
// (each line prefixed with its VS) and the router's access lines (`router | `), in time order; -t: each line after the time it was written.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { ApiError, CliError } from '../errors.ts';
import { wholeNumber } from './numbers.ts';

/** A followed log that the other end closed: said, and exit 1 (a script waiting on it must know it stopped). */
const ENDED = 'the controller ended the log stream (it stopped or restarted, or this token no longer works): run corral logs -f again';

export function registerLogs(program: Command, ctx: Context): void {
  program
    .command('logs <site>')
    .description("print a site's logs")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <lines>', 'the last lines, in total', '100')
    .option('--source <source>', "app (the virtual servers' output), router (its access lines) or all", 'all')
    .option('-t, --timestamps', 'begin each line with the time it was written (ISO 8601, UTC)')
    .action(async (site: string, o: { follow?: boolean; tail: string; source: string; timestamps?: boolean }) => {
      if (!['app', 'router', 'all'].includes(o.source)) throw new CliError(`--source must be app, router or all, got "${o.source}"`);
      const tail = wholeNumber(o.tail, '--tail');
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      try {
        const q = `tail=${tail}&follow=${o.follow ? 'true' : 'false'}&source=${o.source}${o.timestamps ? '&timestamps=true' : ''}`;
        const res = await ctx.api().stream(`/v1/sites/${encodeURIComponent(site)}/logs?${q}`, ac.signal);
        if (!res.body) return;
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(decoder.decode(chunk, { stream: true }));
        if (o.follow && !ac.signal.aborted) throw new CliError(ENDED);
      } catch (err) {
        if (ac.signal.aborted) return;
        if (o.follow && !(err instanceof CliError) && !(err instanceof ApiError)) throw new CliError(ENDED); // cut mid-stream
        throw err;
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
