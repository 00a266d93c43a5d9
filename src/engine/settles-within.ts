// Await a promise against a deadline: one timer, no polling.

/** True once p settles; false if timeoutMs passes first. The timer is cleared either way. */
export async function settlesWithin(p: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeUp]);
  } finally {
    clearTimeout(timer);
  }
}
