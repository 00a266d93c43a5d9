// corral deploy <dir> --site <name>: pack, upload (with progress), then follow the
// rollout until every replica of the new release is ready and serving (rollout-follow.ts).
// Content the site's release already has changes nothing: it is deployed at once when that
// release's rollout is over (a site at zero wakes with it on its next request), and otherwise
// its rollout, still under way or stuck, is followed as a deploy's.
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import { bytesText } from '../../lib/byte-text.ts';
import type { Release, Site, SiteStatus } from '../../model/index.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { progress as progressBar, type Progress } from '../progress.ts';
import { atZero, rolledOut } from './rollout-follow.ts';
import { awaitRollout, humanOut, waitOptions, waitTimeoutMs, type WaitOpts } from './rollout-wait.ts';

interface DeployOpts extends WaitOpts {
  site: string;
  json?: boolean;
}

export function registerDeploy(program: Command, ctx: Context): void {
  const deploy = program
    .command('deploy <dir>')
    .description('upload a folder (or a .tar.gz) as a new release and roll it out')
    .requiredOption('--site <name>', 'the site to deploy to');
  waitOptions(deploy, 'return once uploaded, without following the rollout')
    .option('--json', 'print the release as JSON')
    .action(async (dir: string, o: DeployOpts) => {
      const timeoutMs = waitTimeoutMs(o);
      const started = Date.now();
      const tarball = await openTarball(dir);
      try {
        const size = (await tarball.stat()).size;
        const bar = progressBar(humanOut(ctx), 'uploading');
        const res = await ctx.api().upload<{ release: Release; site: Site; unchanged?: boolean; activated?: boolean }>(
          `/v1/sites/${encodeURIComponent(o.site)}/releases`,
          tarball.createReadStream({ autoClose: false }).pipe(progress(size, bar)),
          size,
        ).finally(() => bar.done());
        await tarball.close();
        const id = res.release.id;
        // the site's own release again changes nothing: what its status says is all there is to wait for
        const kept = res.unchanged && !res.activated ? await ctx.api().get<SiteStatus>(`/v1/sites/${encodeURIComponent(o.site)}/status`) : undefined;
        const over = kept !== undefined && rolledOut(kept, id);
        if (res.unchanged) humanOut(ctx).err(`unchanged: ${id} already has this content (sha256 ${res.release.sha256.slice(0, 12)}…); no new release${kept && !over ? unfinishedText(id, kept) : `, the site serves ${res.site.release ?? 'none'}`}`);
        else humanOut(ctx).err(`release ${id} uploaded (${res.release.files} files, sha256 ${res.release.sha256.slice(0, 12)}…)`);
        if (o.wait && !over) await awaitRollout(ctx, o.site, { release: id, ...(kept ? { unchanged: true } : {}) }, timeoutMs, o);
        if (o.json) ctx.print.out(JSON.stringify(res.release, null, 2));
        else if (ctx.quiet()) ctx.print.out(id);
        else if (!o.wait && !(res.unchanged && (over || !kept))) ctx.print.out(`rolling out ${o.site} ${id} (not waited for: corral status ${o.site} shows when it serves)`);
        else ctx.print.out(`deployed ${o.site} ${id}${res.unchanged ? ` (unchanged${kept && atZero(kept) && over ? '; the site is at zero and wakes on its next request' : ''})` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await tarball.close().catch(() => {});
      }
    });
}

/** "; v2 is the site's release; its rollout has not finished: the router serves v5": a rollout under way, or stuck. */
function unfinishedText(id: string, st: SiteStatus): string {
  const serving = st.serving ?? [];
  return `; ${id} is the site's release; its rollout has not finished: the router serves ${serving.length ? serving.join(', ') : 'none of its servers yet'}`;
}

/**
 * The tarball to upload, open for reading: the file given, or the folder packed into a
 * temporary file that is unlinked once open, so nothing is left in /tmp whenever the
 * command ends (Ctrl-C during packing removes the partial file too).
 */
async function openTarball(path: string): Promise<FileHandle> {
  const s = await stat(path).catch(() => {
    throw new CliError(`${path}: no such file or folder`);
  });
  if (s.isFile()) return open(path);
  const tmp = await mkdtemp(join(tmpdir(), 'corral-deploy-'));
  const interrupted = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal); // the default action, now that the handler is gone
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const out = join(tmp, 'release.tar.gz');
    // loaded here: only a folder needs packing
    const { packDirectory } = await import('../../lib/tarball.ts');
    await packDirectory(path, out);
    return await open(out);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Counts bytes as they go and reports every ~10% (and at the end). */
function progress(total: number, bar: Progress): Transform {
  let sent = 0;
  let nextMark = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      if (sent >= nextMark || sent === total) {
        bar.update(total ? sent / total : 1, `${bytesText(sent)} / ${bytesText(total)} (${total ? Math.floor((sent / total) * 100) : 100}%)`);
        nextMark = sent + Math.max(total / 10, 1);
      }
      cb(null, chunk);
    },
  });
}
