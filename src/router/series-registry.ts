// The compact series (series.ts) served on a scrape. A SeriesRegistry is a prom-client
// Registry of families (each read at the scrape: a process's own, or a cluster primary's
// sums), whose Prometheus text is written straight from the arrays: at 10,000 sites the
// router's series are ≈ 350,000 lines, which prom-client's generic path (an object per
// value, then formatted) took ≈ 0.8 s to print. `mergedRegistry` merges registries as
// prom-client's Registry.merge does, keeping that fast path for the SeriesRegistry parts.
// The JSON form (getMetricsAsJSON) and OpenMetrics go through prom-client's own path.
//
// A scrape streams that text (lib/metrics-scrape.ts) in pieces of ≈ CHUNK_CHARS, each made
// once the socket has taken the one before: the whole text at 10,000 sites is ≈ 30 MB, and
// made as one string it grew `corral up`'s heap by 170–370 MB for every scrape (the lines,
// their join, and the 3 bytes a character node:http sets aside to write a string).

import { Registry } from 'prom-client';
import { streamText } from '../lib/metrics-scrape.ts';
import { labelsOf, type SeriesSpec, type SeriesValues } from './series.ts';

/** A family and how to read its label sets at a scrape. */
interface SeriesSource {
  spec: SeriesSpec;
  read: () => SeriesValues;
}

export class SeriesRegistry extends Registry {
  readonly #sources: readonly SeriesSource[];

  constructor(sources: readonly SeriesSource[]) {
    super();
    this.#sources = sources;
    for (const { spec, read } of sources) this.registerMetric(seriesMetric(spec, read));
  }

  /**
   * The Prometheus text of every family, a line ending each line and a blank line between
   * families, in pieces of about CHUNK_CHARS (`lead` starts the first; nothing when there is
   * no family). Each label set's lines are read at once, so a histogram is never torn;
   * the label sets of a family are those it had when its turn came, and each is read when
   * written, so two families (or two label sets) may be read a few milliseconds apart.
   */
  *chunks(lead = ''): Generator<string> {
    let out = '';
    let before = lead;
    for (const { spec, read } of this.#sources) {
      out += before;
      before = '\n';
      for (const line of seriesLines(spec, read())) {
        out += line;
        if (out.length >= CHUNK_CHARS) {
          yield out;
          out = '';
        }
      }
    }
    if (out !== '') yield out;
  }

  override async metrics(): Promise<string> {
    return this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE ? super.metrics() : textOf(this[streamText]());
  }

  async *[streamText](): AsyncGenerator<string> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) yield await super.metrics();
    else yield* mergedChunks([this]);
  }
}

/** The pieces joined: what metrics() returns. */
async function textOf(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/** A scrape's text is written in pieces of about this many characters. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * The text of these parts merged (Registry.merge's, a blank line between two parts): the
 * prom-client registries' whole, then each SeriesRegistry's as it is made. What
 * MergedRegistry.metrics() and a SeriesRegistry's return, in pieces.
 */
async function* mergedChunks(parts: readonly Registry[]): AsyncGenerator<string> {
  const fast = parts.filter((p): p is SeriesRegistry => p instanceof SeriesRegistry);
  const rest = parts.filter((p) => !(p instanceof SeriesRegistry));
  let lead = '';
  if (rest.length > 0) {
    const text = (await Registry.merge(rest).metrics()).replace(/\n$/, '');
    if (text !== '') {
      yield `${text}\n`;
      lead = '\n';
    }
  }
  for (const p of fast) {
    for (const chunk of p.chunks(lead)) {
      yield chunk;
      lead = '\n';
    }
  }
  if (lead === '') yield '\n';
}

/** The registries `parts()` names, merged on each read (parts may come and go: a router cluster that starts later). */
export function mergedRegistry(parts: () => readonly Registry[]): Registry {
  return new MergedRegistry(parts);
}

class MergedRegistry extends Registry {
  readonly #parts: () => readonly Registry[];

  constructor(parts: () => readonly Registry[]) {
    super();
    this.#parts = parts;
  }

  /** Its parts, merged registries among them opened up. */
  flat(): Registry[] {
    return this.#parts().flatMap((p) => (p instanceof MergedRegistry ? p.flat() : [p]));
  }

  override metrics(): Promise<string> {
    return textOf(this[streamText]());
  }

  async *[streamText](): AsyncGenerator<string> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) yield await Registry.merge(this.flat()).metrics();
    else yield* mergedChunks(this.flat());
  }

  override getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    return Registry.merge(this.flat()).getMetricsAsJSON();
  }

  /** What Registry.merge takes from it: its parts' metrics (so merging it elsewhere loses nothing). */
  override getMetricsAsArray(): ReturnType<Registry['getMetricsAsArray']> {
    return this.flat().flatMap((p) => p.getMetricsAsArray());
  }
}

const escapeText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => escapeText(s).replace(/"/g, '\\"');
const valueText = (v: number): string => (Number.isNaN(v) ? 'Nan' : !Number.isFinite(v) ? (v < 0 ? '-Inf' : '+Inf') : `${v}`);

/** One family in the Prometheus text format, as prom-client prints it: its lines, each with its newline. */
function* seriesLines(spec: SeriesSpec, values: SeriesValues): Generator<string> {
  const name = escapeText(spec.name);
  yield `# HELP ${name} ${escapeText(spec.help)}\n# TYPE ${name} ${spec.kind}\n`;
  const count = spec.labelNames.length;
  const buckets = spec.buckets ?? [];
  // the label sets as they are now: one written later in the scrape (a site's series
  // dropped and made again meanwhile) is not written twice; one dropped meanwhile is left out
  for (const key of [...values.keys()]) {
    const v = values.get(key);
    if (!v) continue;
    const labels = labelsOf(key, count).map((l, i) => `${spec.labelNames[i]}="${escapeLabel(l)}"`).join(',');
    if (spec.kind !== 'histogram') {
      yield `${spec.name}${labels ? `{${labels}}` : ''} ${valueText(v[0] ?? 0)}\n`;
      continue;
    }
    // a label set's lines as one piece: read at once, never split between two pieces
    const more = labels ? `,${labels}` : '';
    let text = '';
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += v[i] ?? 0;
      text += `${spec.name}_bucket{le="${buckets[i]}"${more}} ${valueText(seen)}\n`;
    }
    seen += v[buckets.length] ?? 0;
    text += `${spec.name}_bucket{le="+Inf"${more}} ${valueText(seen)}\n`;
    text += `${spec.name}_sum${labels ? `{${labels}}` : ''} ${valueText(v[buckets.length + 1] ?? 0)}\n`;
    yield `${text}${spec.name}_count${labels ? `{${labels}}` : ''} ${valueText(seen)}\n`;
  }
}

type Metric = Parameters<Registry['registerMetric']>[0];

/** A family as a prom-client Registry reads it on each scrape: `read()` gives the label sets of that moment. */
function seriesMetric(spec: SeriesSpec, read: () => SeriesValues): Metric {
  const view = {
    name: spec.name,
    help: spec.help,
    type: spec.kind,
    aggregator: 'sum',
    get: () => ({ name: spec.name, help: spec.help, type: spec.kind, aggregator: 'sum', values: promValues(spec, read()) }),
  };
  return view as unknown as Metric; // the shape prom-client's Registry reads (as its AggregatorRegistry registers)
}

interface PromValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

function promValues(spec: SeriesSpec, entries: SeriesValues): PromValue[] {
  const out: PromValue[] = [];
  for (const [key, values] of entries) {
    const labelValues = labelsOf(key, spec.labelNames.length);
    const labels: Record<string, string> = {};
    spec.labelNames.forEach((n, i) => (labels[n] = labelValues[i] ?? ''));
    if (spec.kind !== 'histogram') {
      out.push({ labels, value: values[0] ?? 0 });
      continue;
    }
    const buckets = spec.buckets ?? [];
    let count = 0;
    buckets.forEach((le, i) => {
      count += values[i] ?? 0;
      out.push({ labels: { le, ...labels }, value: count, metricName: `${spec.name}_bucket` });
    });
    count += values[buckets.length] ?? 0;
    out.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${spec.name}_bucket` });
    out.push({ labels, value: values[buckets.length + 1] ?? 0, metricName: `${spec.name}_sum` });
    out.push({ labels, value: count, metricName: `${spec.name}_count` });
  }
  return out;
}

