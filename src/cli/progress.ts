// Progress for long work (upload, rollout): a bar redrawn in place when stderr is a
// terminal, plain lines otherwise (logs, CI, scripts) — only when the text changes.
import { stdio, type Printer } from './output.ts';

export interface Progress {
  /** Show the state now: a fraction 0..1 and the words beside it. */
  update(fraction: number, text: string): void;
  /** End the bar (a newline on a terminal). Safe twice. */
  done(): void;
}

const WIDTH = 28;

export function progress(print: Printer, label: string, tty = print === stdio && process.stderr.isTTY === true): Progress {
  let last = '';
  let open = false;
  return {
    update(fraction, text) {
      const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
      if (!tty) {
        const line = `${label} ${text}`;
        if (line !== last) print.err(line);
        last = line;
        return;
      }
      const filled = Math.round(f * WIDTH);
      const line = `${label} [${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${text}`;
      if (line === last) return;
      last = line;
      open = true;
      process.stderr.write(`\r\x1b[2K${line}`);
    },
    done() {
      if (tty && open) process.stderr.write('\n');
      open = false;
    },
  };
}
