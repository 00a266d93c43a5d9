// Prefix ranges as [prefix, end) key intervals, so SQLite can answer them from the
// primary-key index. Keys order by UTF-8 bytes (like etcd), which is code-point
// order — not JavaScript's UTF-16 order — so the end is computed on code points.

const MAX_CODE_POINT = 0x10ffff;
const SURROGATES_START = 0xd800;
const SURROGATES_END = 0xdfff;

/** The smallest key greater than every key starting with prefix; undefined when there is none (empty prefix). */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < MAX_CODE_POINT) {
      points.push(last + 1 === SURROGATES_START ? SURROGATES_END + 1 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}

/** Whether key lies under prefix. A prefix is a plain string prefix: '/a/b' covers '/a/bc'; end prefixes with '/'. */
export function hasPrefix(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}
