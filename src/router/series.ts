// Prometheus series kept compact for thousands of sites: a family holds, per label set,
// an array of numbers (a counter or gauge: [value]; a histogram: the count of each bucket,
// not cumulative, then +Inf, then the sum). A process reads its families in place on a
// scrape (series-registry.ts); a router worker instead drains them into its report every
// REPORT_MS (`drainChanges`): each counter's and histogram's increments since the last
// report, which it then forgets, and each gauge that moved, at its current value. The
// cluster's primary adds the increments into one total per label set and keeps each
// worker's gauges (cluster-stats.ts). So an idle worker holds no series, and the primary
// one set, not one per worker: at 10,000 sites that was ≈ 4 MB in the primary and 2 MB per
// worker. A report is one IPC message, delivered once and in order while the worker lives;
// a worker that dies takes its increments since its last report with it.

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

/** Each family's drained label sets, by family name: what a worker's report carries (counters and histograms: increments; gauges: values). */
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
  readonly #gauge: boolean;

  constructor(spec: SeriesSpec) {
    this.spec = spec;
    this.#gauge = spec.kind === 'gauge';
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

  /**
   * What moved since the last drain: a counter's or histogram's label sets with their
   * increments, which the family then forgets (it starts again from zero); a gauge's changed
   * label sets at their current values (copies), which it keeps. A family is either drained
   * (a router worker) or read in place (`values`), never both.
   */
  drain(): SeriesEntry[] {
    const count = this.spec.labelNames.length;
    const changed = this.#changed;
    this.#changed = new Set();
    if (!this.#gauge) {
      const out: SeriesEntry[] = [];
      for (const [key, values] of this.#values) out.push([labelsOf(key, count), values]);
      this.#values.clear();
      return out;
    }
    const out: SeriesEntry[] = [];
    for (const key of changed) {
      const values = this.#values.get(key);
      if (values) out.push([labelsOf(key, count), values.slice()]);
    }
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
    if (this.#gauge) this.#changed.add(key); // a drain sends counters whole, gauges as they moved
    return v;
  }
}

export function keepSites(values: SeriesValues, labelCount: number, keep: (site: string) => boolean): void {
  if (labelCount === 0) return;
  for (const key of values.keys()) if (!keep(siteOf(key))) values.delete(key);
}

/** Drain every family (SeriesFamily.drain); undefined when nothing moved. */
export function drainChanges(families: readonly SeriesFamily[]): SeriesChanges | undefined {
  let changes: SeriesChanges | undefined;
  for (const f of families) {
    const taken = f.drain();
    if (taken.length > 0) (changes ??= {})[f.spec.name] = taken;
  }
  return changes;
}

/** Several processes' label sets of one family, summed value by value. */
export function sumEntries(sources: Iterable<SeriesValues>): SeriesValues {
  const sum: SeriesValues = new Map();
  for (const source of sources) for (const [key, values] of source) addInto(sum, key, values);
  return sum;
}

/** Add values into the label set `key` of `into` (a copy when it is new there). */
export function addInto(into: SeriesValues, key: string, values: readonly number[]): void {
  const e = into.get(key);
  if (!e) into.set(key, values.slice());
  else values.forEach((v, i) => (e[i] = (e[i] ?? 0) + v));
}
