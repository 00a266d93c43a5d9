// Asking before something that cannot be undone: the question on stderr, one line from stdin
// (a terminal or a pipe); "y" or "yes" goes ahead, anything else (or end of input) does not.
import { createInterface } from 'node:readline';
import type { Context } from './context.ts';

export async function confirm(ctx: Context, question: string, input: NodeJS.ReadableStream = process.stdin): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string>((done) => {
      rl.once('line', done);
      rl.once('close', () => done(''));
    });
    if (!process.stdin.isTTY) ctx.print.err('');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
