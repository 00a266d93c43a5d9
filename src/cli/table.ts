// Plain aligned tables for listings (every listing also has --json).

export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? '-' : visible(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/**
 * Text a listing shows, with control characters (C0, DEL, C1) written as \xNN: a cell can
 * hold what a customer chose (a token's name in an event's WHO, an older record), and an
 * escape sequence there would reach the admin's terminal (a clipboard write, a cleared screen).
 */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
