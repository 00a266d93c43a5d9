// `--no-wait`, `--timeout` and `--no-fail-fast` of the commands that start a rollout
// (`deploy`, `rollback`, `site set`), and following it the one way (rollout-follow.ts): the
// rollout's progress on stderr, nothing with --quiet.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import type { Printer } from '../output.ts';
import { progress } from '../progress.ts';
import { durationMs } from './duration.ts';
import { CRASH_LOOP_AFTER_MS, CRASH_LOOP_STARTS } from './crash-loop.ts';
import { followRollout, type RolloutTarget } from './rollout-follow.ts';

export interface WaitOpts {
  wait: boolean;
  timeout: string;
  /** false with --no-fail-fast: new servers that crash-loop are waited for until --timeout. */
  failFast: boolean;
}

/** Adds --no-wait (its help: what the command returns after without it), --timeout and --no-fail-fast. */
export function waitOptions(cmd: Command, noWaitHelp: string): Command {
  return cmd
    .option('--no-wait', noWaitHelp)
    .option('--timeout <seconds>', 'how long to wait for the rollout: seconds, or with a unit (90s, 5m)', '120')
    .option('--no-fail-fast', `wait until --timeout even when the new servers crash-loop (by default the wait fails once each has failed its start ${CRASH_LOOP_STARTS} times, none ever ready, after ${CRASH_LOOP_AFTER_MS / 1000} s)`);
}

/** --timeout in milliseconds; refused before anything is changed. */
export function waitTimeoutMs(o: WaitOpts): number {
  const ms = durationMs(o.timeout, 's', ['ms', 's', 'm', 'h']);
  if (ms === undefined || ms <= 0) throw new CliError(`--timeout must be a time above 0 such as 120 (seconds), 90s or 5m, got "${o.timeout}"`);
  return ms;
}

/** Follows the rollout of `site` to `target`, drawing its progress; false when the controller cannot tell (see followRollout). */
export async function awaitRollout(ctx: Context, site: string, target: RolloutTarget, timeoutMs: number, o: Pick<WaitOpts, 'failFast'>): Promise<boolean> {
  const bar = progress(humanOut(ctx), 'rollout');
  return followRollout(ctx.api(), site, target, timeoutMs, bar, { failFast: o.failFast }).finally(() => bar.done());
}

/** Where progress and notes go: stderr, or nowhere with --quiet. */
export function humanOut(ctx: Context): Printer {
  return ctx.quiet() ? { out: () => {}, err: () => {} } : ctx.print;
}
