// How every mode of the farm stops (`corral up`, and the controller, engine and router
// roles): each part, once started, pushes a named step; close() runs the steps last in,
// first out, so the last part started is the first stopped and nothing serves from a
// half-stopped process. Each step has a deadline: one that hangs is left behind when it
// passes, one that throws is logged, and either way the steps below it still run.
// destroy() is the crash of the same stack (a test's host loss): each step's `destroy`
// where it has one (abandon a lease rather than revoke it, kill rather than drain), its
// `close` otherwise. Both are safe to call twice; the second waits for the first.
//
// Log events (part of the caller's logger): `shutdown.step` (a step done, with its ms),
// `shutdown.step-failed` (it threw), `shutdown.step-timeout` (its deadline passed).
import type { Logger } from './log.ts';

/** A step's deadline unless pushed with another. */
export const STEP_DEADLINE_MS = 15_000;

export interface StepOptions {
  /** How long close (or destroy) may take before the next step runs; default STEP_DEADLINE_MS. */
  deadlineMs?: number;
  /** What destroy() runs for this step instead of close. */
  destroy?: () => unknown;
}

export interface ShutdownStack {
  /** Add a step, to run before every step pushed earlier. */
  push(name: string, close: () => unknown, opts?: StepOptions): void;
  /** Run every step, last pushed first, each within its deadline. */
  close(): Promise<void>;
  /** As on a crash: each step's destroy (or close), in the same order. */
  destroy(): Promise<void>;
}

interface Step extends StepOptions {
  name: string;
  close: () => unknown;
}

export function createShutdownStack(log: Logger): ShutdownStack {
  const steps: Step[] = [];
  let running: Promise<void> | undefined;
  const unwind = (how: 'close' | 'destroy') => {
    running ??= (async () => {
      for (let step = steps.pop(); step; step = steps.pop()) await runStep(step, how, log);
    })();
    return running;
  };
  return {
    push(name, close, opts = {}) {
      // pushed while unwinding (a part that finished starting as the stop began): it runs next
      steps.push({ name, close, ...opts });
    },
    close: () => unwind('close'),
    destroy: () => unwind('destroy'),
  };
}

async function runStep(step: Step, how: 'close' | 'destroy', log: Logger): Promise<void> {
  const deadlineMs = step.deadlineMs ?? STEP_DEADLINE_MS;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deadlineMs);
  });
  try {
    const run = async () => void (await (how === 'destroy' && step.destroy ? step.destroy() : step.close()));
    const outcome = await Promise.race([run(), passed]);
    const ms = Math.round(performance.now() - t0);
    if (outcome === 'timeout') log.warn({ event: 'shutdown.step-timeout', step: step.name, deadlineMs }, `${step.name} did not stop within ${deadlineMs} ms; going on`);
    else log.info({ event: 'shutdown.step', step: step.name, how, ms }, `${step.name} stopped`);
  } catch (err) {
    log.error({ event: 'shutdown.step-failed', step: step.name, how, err }, `error while stopping ${step.name}`);
  } finally {
    clearTimeout(timer);
  }
}
