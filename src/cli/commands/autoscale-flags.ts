// A site's autoscaling flags, for `corral site create` and `corral site set`:
// --min-replicas, --max-replicas, --target-concurrency (requests in flight per virtual
// server, open WebSockets included: Knative's concurrency target) and --idle-timeout
// (with --min-replicas 0: scale to zero after that long without a request), as the
// API's `autoscale` object; --autoscale off turns it off (the site's --replicas count
// applies again). The API replaces the whole object, so on `set` the flags are merged
// into the stored one; ranges and min ≤ max are checked by the API (400 naming the field).
import type { Command } from 'commander';
import type { Autoscale, Site } from '../../model/index.ts';
import { CliError } from '../errors.ts';
import { DEFAULT, wholeOrDefault } from './site-set-flags.ts';
import { durationMs } from './duration.ts';

export interface AutoscaleOpts {
  autoscale?: string;
  minReplicas?: string;
  maxReplicas?: string;
  targetConcurrency?: string;
  idleTimeout?: string;
}

export const AUTOSCALE_HELP = `
Autoscaling: --min-replicas N --max-replicas M [--target-concurrency C] runs between N and M
virtual servers, enough that each carries about C requests in flight (open WebSockets count;
default 10), scaling out within seconds and in after a quiet minute. --min-replicas 0 with
--idle-timeout 5m (the default) stops every server after 5 minutes without a request; the
next request waits at the router while one starts. --autoscale off goes back to --replicas
(corral scale is refused while a site autoscales).`;

/** Adds the autoscaling options to a command (create and set share them). */
export function autoscaleOptions(cmd: Command): Command {
  return cmd
    .option('--min-replicas <n>', 'autoscaling: fewest virtual servers, 0–20 (0: scale to zero when idle)')
    .option('--max-replicas <n>', 'autoscaling: most virtual servers, 1–20')
    .option('--target-concurrency <n>', 'autoscaling: requests in flight per virtual server to aim at, 1–10000 (default 10)')
    .option('--idle-timeout <duration>', 'with --min-replicas 0: stop every server after this long without a request, e.g. 5m, 90s, 1h (default 5m)')
    .option('--autoscale <off>', 'off: stop autoscaling (the --replicas count applies again)');
}

export function hasAutoscaleFlags(o: AutoscaleOpts): boolean {
  return [o.autoscale, o.minReplicas, o.maxReplicas, o.targetConcurrency, o.idleTimeout].some((v) => v !== undefined);
}

/** The stored autoscaling with the flags applied (`{}`: off); `site` is the stored site on `set`. */
export function autoscaleBody(o: AutoscaleOpts, site: Pick<Site, 'replicas' | 'autoscale'> | undefined): Partial<Autoscale> {
  if (o.autoscale !== undefined) {
    if (o.autoscale !== 'off' && o.autoscale !== DEFAULT) throw new CliError(`--autoscale takes off (set --min-replicas/--max-replicas to turn it on), got "${o.autoscale}"`);
    if ([o.minReplicas, o.maxReplicas, o.targetConcurrency, o.idleTimeout].some((v) => v !== undefined)) throw new CliError('--autoscale off turns autoscaling off: give no other autoscaling flag with it');
    return {};
  }
  const out: Partial<Autoscale> = { ...site?.autoscale };
  if (o.minReplicas !== undefined) out.minReplicas = wholeOrDefault(o.minReplicas, '--min-replicas');
  if (o.maxReplicas !== undefined) out.maxReplicas = wholeOrDefault(o.maxReplicas, '--max-replicas');
  if (o.targetConcurrency !== undefined) {
    if (o.targetConcurrency === DEFAULT) delete out.targetConcurrency;
    else out.targetConcurrency = wholeOrDefault(o.targetConcurrency, '--target-concurrency');
  }
  if (o.idleTimeout !== undefined) {
    if (o.idleTimeout === DEFAULT) delete out.idleTimeoutMs;
    else out.idleTimeoutMs = idleTimeoutMs(o.idleTimeout);
  } else if (o.minReplicas !== undefined && out.minReplicas !== 0) delete out.idleTimeoutMs; // only scale to zero has one
  out.maxReplicas ??= Math.max(site?.replicas ?? 1, out.minReplicas ?? 1, 1);
  return out;
}

/** "5m", "90s", "1h", "1500ms"; a bare number is seconds. */
export function idleTimeoutMs(v: string): number {
  const ms = durationMs(v, 's', ['ms', 's', 'm', 'h']);
  if (ms === undefined) throw new CliError(`--idle-timeout must be a duration such as 5m, 90s or 1h, got "${v}"`);
  return ms;
}

/** --scale-in-window, shared by `corral up` and `corral controller`. */
export interface ScaleInFlags {
  scaleInWindow: string;
}

export function addScaleInFlags(cmd: Command): Command {
  return cmd.option('--scale-in-window <duration>', "autoscaled sites: scale in only after this long below the load that needed more replicas (Knative's stable window), 1s–60m", '60s');
}

/** --scale-in-window of `corral up` and `corral controller`: 1 s to 60 min. */
export function scaleInWindowMs(v: string): number {
  const ms = durationMs(v, 's');
  if (ms === undefined || ms < 1000 || ms > 3_600_000) throw new CliError(`--scale-in-window must be a duration from 1s to 60m (e.g. 60s, 2m), got "${v}"`);
  return ms;
}

export function autoscaleText(a: Autoscale | undefined): string {
  if (!a) return 'off';
  const parts = [`${a.minReplicas}–${a.maxReplicas} replicas`, `target ${a.targetConcurrency ?? 'default (10)'} in flight per VS`];
  if (a.minReplicas === 0) parts.push(`idle timeout ${a.idleTimeoutMs !== undefined ? `${a.idleTimeoutMs / 1000}s` : 'default (5m)'}`);
  return parts.join(', ');
}
