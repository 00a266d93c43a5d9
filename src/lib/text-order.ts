// The order of plans, lists and tables: strings by UTF-16 code unit, as `<` compares them.
// The same on every host whatever its locale, and it loads nothing: `localeCompare` asks
// ICU for a collator, which mapped ≈ 2 MB of node's ICU data into the controller's RSS and
// is several times slower per comparison, for names and ids that are ASCII anyway.

/** For sort(): a before b by code unit (0 when equal). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keys order by UTF-8 bytes (the store's order), which is code-point order; JavaScript's `<` (UTF-16) differs only where a surrogate meets a code unit above it. */
export function byUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  const x = a.codePointAt(i) ?? 0;
  const y = b.codePointAt(i) ?? 0;
  const surrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdfff;
  // at a differing low surrogate both are pairs with the same high one: unit order is code-point order
  if (surrogate(a.charCodeAt(i)) && surrogate(b.charCodeAt(i))) return a.charCodeAt(i) < b.charCodeAt(i) ? -1 : 1;
  return x < y ? -1 : 1;
}
