// Sizes on the command line: a whole number of bytes ("1048576"), or a number with a binary
// unit — K, M, G, T, also written KB/KiB, MB/MiB … in any letter case, each a power of 1024
// ("300M", "1.5G"). Nothing around it: " 5M" and "5 M" are not sizes. Each flag says its
// range and its error (release-size-flags.ts).

const UNIT_BYTES = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/** Whole bytes, or undefined when `v` is not a size (a fraction of a byte, a unit unknown, anything around it). */
export function sizeBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(?:([kmgt])(?:i?b)?|b)?$/i.exec(v);
  if (!m) return undefined;
  const unit = UNIT_BYTES[(m[2] ?? '').toLowerCase() as keyof typeof UNIT_BYTES];
  const bytes = Number(m[1]) * unit;
  if (unit === 1 && !Number.isInteger(bytes)) return undefined;
  const whole = Math.round(bytes);
  return Number.isSafeInteger(whole) ? whole : undefined;
}

/** `n` bytes as the shortest size the flags take back: 300M, 1G, 1536K, 1000. */
export function sizeText(n: number): string {
  for (const [unit, bytes] of [['T', UNIT_BYTES.t], ['G', UNIT_BYTES.g], ['M', UNIT_BYTES.m], ['K', UNIT_BYTES.k]] as const) {
    if (n >= bytes && n % bytes === 0) return `${n / bytes}${unit}`;
  }
  return String(n);
}
