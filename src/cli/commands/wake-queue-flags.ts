// --wake-queue and --wake-timeout, shared by `corral up` and `corral router`: how many
// requests a router process holds per idle site (scale to zero) while one of its servers
// starts, and how long each may wait (the router's options wakeQueue and wakeTimeoutMs;
// absent, the router's defaults). More, or longer, get 503 with Retry-After.
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { durationMs } from './duration.ts';
import { wholeNumber } from './numbers.ts';

export interface WakeQueueFlags {
  wakeQueue?: string;
  wakeTimeout?: string;
}

/** The router options the flags set. */
export interface WakeQueueSettings {
  wakeQueue?: number;
  wakeTimeoutMs?: number;
}

const MAX_QUEUE = 100_000;
const MIN_WAIT_MS = 100;
const MAX_WAIT_MS = 600_000;

export function addWakeQueueFlags(cmd: Command): Command {
  return cmd
    .option('--wake-queue <n>', `scale to zero: requests each router process holds per idle site while it wakes, 0–${MAX_QUEUE} (0: none, 503 at once); more get 503 with Retry-After (default 100)`)
    .option('--wake-timeout <duration>', 'scale to zero: longest a held request waits for the site to wake, then 503 with Retry-After, 100ms–10m, e.g. 10s, 1500ms (a bare number is seconds; default 10s)');
}

export function wakeQueueSettings(o: WakeQueueFlags): WakeQueueSettings {
  const out: WakeQueueSettings = {};
  if (o.wakeQueue !== undefined) out.wakeQueue = wholeNumber(o.wakeQueue, '--wake-queue', { max: MAX_QUEUE });
  if (o.wakeTimeout !== undefined) {
    const ms = durationMs(o.wakeTimeout, 's');
    if (ms === undefined || ms < MIN_WAIT_MS || ms > MAX_WAIT_MS) throw new CliError(`--wake-timeout must be a duration from 100ms to 10m (e.g. 10s, 1500ms), got "${o.wakeTimeout}"`);
    out.wakeTimeoutMs = ms;
  }
  return out;
}
