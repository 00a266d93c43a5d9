// The order of plans, lists and tables: strings by UTF-16 code unit, as `<` compares them.
// The same on every host whatever its locale, and it loads nothing: `localeCompare` asks
// ICU for a collator, which mapped ≈ 2 MB of node's ICU data into the controller's RSS and
// is several times slower per comparison, for names and ids that are ASCII anyway.

/** For sort(): a before b by code unit (0 when equal). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
