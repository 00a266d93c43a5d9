// Ctrl-C and SIGTERM for the commands that run a farm's processes (`corral up`, `controller`,
// `engine`, `router`). The handler goes in before anything starts: installed only once the
// node was up, a signal during start-up (up to ~23 s of `corral up` after a restart) met
// Node's default, which ends the process at once and left PostgreSQL, network namespaces,
// mounts and cgroups behind. Now the first signal asks to stop: a start under way unwinds
// what has started through its shutdown stack (startFarmNode looks at `signal` after each
// step), a node that is up is closed. Either way the command ends normally, with the same
// exit code as a Ctrl-C once up. A second signal meets Node's default again: a stop that
// hangs can still be forced.
import type { Context } from '../context.ts';

export interface StopSignals {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Waits for the first signal (at once when it came already), then close(): what is left to stop (nothing after a start the stop unwound). */
  until(close?: () => Promise<void>): Promise<void>;
  /** A start given `signal`: its node, or undefined when the stop asked during it unwound it (then until() with nothing to close). */
  started<T>(start: Promise<T>): Promise<T | undefined>;
}

/** Installs the handler; call it first thing in the command's action. */
export function stopSignals(ctx: Context): StopSignals {
  const asked = new AbortController();
  const stopped = new Promise<void>((resolve) => asked.signal.addEventListener('abort', () => resolve(), { once: true }));
  const stop = () => {
    // both listeners go: the next signal, whichever, is Node's default (forced exit)
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    ctx.print.out('stopping…');
    asked.abort(new StopAsked());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: asked.signal,
    async until(close) {
      await stopped;
      await close?.().catch(() => undefined);
      ctx.print.out('stopped.');
    },
    async started(start) {
      try {
        return await start;
      } catch (err) {
        // the stop's own reason, or a step that failed while the stop was under way: asked for either way
        if (!asked.signal.aborted) throw err;
        return undefined;
      }
    },
  };
}

class StopAsked extends Error {
  constructor() {
    super('stop asked (SIGINT/SIGTERM) during start-up');
  }
}
