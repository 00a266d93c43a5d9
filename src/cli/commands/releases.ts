// corral releases <site>: a site's releases, the current and previous marked.
import type { Command } from 'commander';
import type { Release, Site } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { printListing } from '../output.ts';

export function registerReleases(program: Command, ctx: Context): void {
  program
    .command('releases <site>')
    .description('list a site\'s releases (current and previous marked)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const path = `/v1/sites/${encodeURIComponent(name)}`;
      const [{ site }, res] = await Promise.all([
        ctx.api().get<{ site: Site }>(path),
        ctx.api().get<{ releases: Release[] }>(`${path}/releases`),
      ]);
      const mark = (r: Release) => (r.id === site.release ? 'current' : r.id === site.previousRelease ? 'previous' : undefined);
      printListing(ctx.print, o.json, res, res.releases, ['RELEASE', 'NUMBER', 'SHA256', 'FILES', 'SIZE', 'CREATED', ''], (r) => [
        r.id, r.number, r.sha256.slice(0, 12), r.files, r.size, r.createdAt, mark(r),
      ]);
    });
}
