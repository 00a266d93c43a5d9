// One copy of each string a process parses from the store. JSON.parse takes a string value
// of up to 10 characters from V8's string table, and gives every longer one a copy of its
// own; so every part that parses the same record (the controller's mirror, the engine's
// assignments, the router's routes) held its own copy of each digest, domain, id,
// timestamp and address in it: 8 MB of `corral up`'s heap at 10,000 sites. parseShared
// swaps each longer string for the copy in V8's string table (the one a property key
// uses). V8 keeps that copy only while something refers to it: there is no table of ours
// to grow or to prune.

/** Strings this long and shorter come from V8's string table already (JSON.parse). */
const SHARED_BY_JSON = 10;
/** Longer strings (a page's HTML, a certificate) are not looked up: hashing costs their length, and V8 hashes one over 16,383 characters by its length alone. */
const LONGEST_SHARED = 1_024;
/** Records are shallow; a value nested deeper than this keeps its own strings (no deep recursion on a hostile record). */
const MAX_DEPTH = 16;

/**
 * A dictionary-mode object (a null prototype): a key stored in it makes no hidden class.
 * An object literal per string (`{ [s]: 0 }`) made one per distinct string, 30 MB of them
 * for a moment at 10,000 sites, until a full collection.
 */
const probe: Record<string, 0> = Object.create(null) as Record<string, 0>;

/** The string's copy in V8's string table: a stored property key is one. */
export function sharedString(s: string): string {
  probe[s] = 0;
  for (const key in probe) {
    delete probe[key]; // the probe holds one key at a time
    return key;
  }
  return s;
}

/** JSON.parse, with every string of 11–1,024 characters shared (sharedString). */
export function parseShared(text: string): unknown {
  return shareStrings(JSON.parse(text) as unknown);
}

/** Share the strings (11–1,024 characters) in a parsed value, in place (arrays and plain objects, to a depth of MAX_DEPTH); returns it. */
export function shareStrings<T>(value: T): T {
  return share(value, 0) as T;
}

function share(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return v.length > SHARED_BY_JSON && v.length <= LONGEST_SHARED ? sharedString(v) : v;
  if (typeof v !== 'object' || v === null || depth >= MAX_DEPTH) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = share(v[i], depth + 1);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === '__proto__') continue; // an own "__proto__" (JSON.parse makes one): assigning it would set the prototype
    o[k] = share(o[k], depth + 1); // a string: the shared copy itself, not the one it was (which V8 made a pointer to it)
  }
  return v;
}
