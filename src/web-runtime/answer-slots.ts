// At most a few file answers at once in one web runtime; the other requests wait their
// turn, first come first served. A waiting request costs a parsed head; an answer costs its
// read buffer and the socket memory its data fills until the router takes it, and in a pool
// VS all of that counts against its memory limit: 256 answers of 200 kB files at
// once got a pool OOM-killed. One runtime is one thread, so more at once serve no faster.

export const ANSWERS_AT_ONCE = 32;

export class AnswerSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(n = ANSWERS_AT_ONCE) {
    this.#free = n;
  }

  /** A slot, at once or in turn; the returned function gives it back (once). */
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((turn) => this.#waiting.push(turn));
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.#waiting.shift();
      if (next) next(); // handed on: the count of free slots stays
      else this.#free++;
    };
  }

  /** Requests waiting for a slot (tests). */
  get waiting(): number {
    return this.#waiting.length;
  }
}
