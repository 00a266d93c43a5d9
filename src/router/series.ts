// Prometheus series kept compact for thousands of sites: a family holds, per label set,
// an array of numbers (a counter or gauge: [value]; a histogram: the count of each bucket,
// not cumulative, then +Inf, then the sum) and remembers which label sets changed since
// the last `takeChanges`. A router worker sends only those (cumulative values, so a lost or
// repeated report cannot skew a total) and the cluster's primary sums the workers' latest
// (cluster-stats.ts), instead of every worker sending, and the primary parsing, every
// series of every site each report. series-registry.ts serves them on a scrape.

export type SeriesKind = 'counter' | 'gauge' | 'histogram';

export interface SeriesSpec {
  name: string;
  help: string;
  kind: SeriesKind;
  /** The first label is the site (keepSites goes by it) for a per-site family. */
  labelNames: readonly string[];
  /** A histogram's upper bounds, ascending. */
  buckets?: readonly number[];
}

/** One label set: its label values (in labelNames order) and its values. */
export type SeriesEntry = [labels: string[], values: number[]];

/** The changed label sets of each family, by family name: what a worker's report carries. */
export type SeriesChanges = Record<string, SeriesEntry[]>;

/**
 * The label sets of one family: the label values joined (keyOf) → the values. One array per
 * label set and the key it needs anyway (thousands of sites × several families: a label
 * array beside each would be as many arrays again).
 */
export type SeriesValues = Map<string, number[]>;

const SEP = '\u0001';
export const keyOf = (labels: readonly string[]): string => labels.join(SEP);
/** The label values a key joins (`count`: the family's number of labels). */
export const labelsOf = (key: string, count: number): string[] => (count === 0 ? [] : key.split(SEP));
/** The first label: the site, for a per-site family. */
const siteOf = (key: string): string => {
  const end = key.indexOf(SEP);
  return end === -1 ? key : key.slice(0, end);
};

export class SeriesFamily {
  readonly spec: SeriesSpec;
  readonly #values: SeriesValues = new Map();
  #changed = new Set<string>();
  readonly #width: number;

  constructor(spec: SeriesSpec) {
    this.spec = spec;
    this.#width = spec.kind === 'histogram' ? (spec.buckets?.length ?? 0) + 2 : 1;
  }

  /** Counter: add `by` (≥ 0); gauge: add `by` (may be negative). */
  inc(labels: readonly string[], by = 1): void {
    this.#of(labels)[0]! += by;
  }

  observe(labels: readonly string[], value: number): void {
    const v = this.#of(labels);
    const buckets = this.spec.buckets ?? [];
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    v[i]!++;
    v[v.length - 1]! += value;
  }

  /** The label sets changed since the last take, with their current values (copies). */
  takeChanges(): SeriesEntry[] {
    const out: SeriesEntry[] = [];
    const count = this.spec.labelNames.length;
    for (const key of this.#changed) {
      const values = this.#values.get(key);
      if (values) out.push([labelsOf(key, count), values.slice()]);
    }
    this.#changed = new Set();
    return out;
  }

  /** Keep only the label sets of the sites `keep` says (the first label; a family without labels keeps its one). */
  keepSites(keep: (site: string) => boolean): void {
    keepSites(this.#values, this.spec.labelNames.length, keep);
  }

  get values(): SeriesValues {
    return this.#values;
  }

  /** The label set's values, marked changed. */
  #of(labels: readonly string[]): number[] {
    const key = keyOf(labels);
    let v = this.#values.get(key);
    if (!v) this.#values.set(key, (v = new Array<number>(this.#width).fill(0)));
    this.#changed.add(key);
    return v;
  }
}

export function keepSites(values: SeriesValues, labelCount: number, keep: (site: string) => boolean): void {
  if (labelCount === 0) return;
  for (const key of values.keys()) if (!keep(siteOf(key))) values.delete(key);
}

/** Take every family's changes; undefined when nothing changed. */
export function takeChanges(families: readonly SeriesFamily[]): SeriesChanges | undefined {
  let changes: SeriesChanges | undefined;
  for (const f of families) {
    const taken = f.takeChanges();
    if (taken.length > 0) (changes ??= {})[f.spec.name] = taken;
  }
  return changes;
}

/** Several processes' label sets of one family, summed value by value. */
export function sumEntries(sources: Iterable<SeriesValues>): SeriesValues {
  const sum: SeriesValues = new Map();
  for (const source of sources) {
    for (const [key, values] of source) {
      const e = sum.get(key);
      if (!e) sum.set(key, values.slice());
      else values.forEach((v, i) => (e[i] = (e[i] ?? 0) + v));
    }
  }
  return sum;
}
