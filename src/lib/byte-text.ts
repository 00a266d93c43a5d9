// Byte counts as people read them: 512 B, 1.5 KiB, 12.0 MiB, 1.2 GiB (powers of 1024, one
// decimal). For messages, progress lines and the tarball limits' errors; the CLI's flags parse their own sizes (cli/commands/size.ts).

const UNITS = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
] as const;

/** `n` bytes with the largest unit it reaches: "900 B", "1.5 KiB", "2.0 GiB". */
export function bytesText(n: number): string {
  for (const [unit, size] of UNITS) if (n >= size) return `${(n / size).toFixed(1)} ${unit}`;
  return `${n} B`;
}
