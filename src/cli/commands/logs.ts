// corral logs <site> [-f]: the site's virtual servers' output, each line prefixed with its VS.
import type { Command } from 'commander';
import type { Context } from '../context.ts';

export function registerLogs(program: Command, ctx: Context): void {
  program
    .command('logs <site>')
    .description("print a site's logs")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <lines>', 'lines from the end of each log', '100')
    .action(async (site: string, o: { follow?: boolean; tail: string }) => {
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      try {
        const q = `tail=${encodeURIComponent(o.tail)}&follow=${o.follow ? 'true' : 'false'}`;
        const res = await ctx.api().stream(`/v1/sites/${encodeURIComponent(site)}/logs?${q}`, ac.signal);
        if (!res.body) return;
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(decoder.decode(chunk, { stream: true }));
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
