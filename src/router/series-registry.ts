// The compact series (series.ts) served on a scrape. A SeriesRegistry is a prom-client
// Registry of families (each read at the scrape: a process's own, or a cluster primary's
// sums), whose Prometheus text is written straight from the arrays: at 10,000 sites the
// router's series are ≈ 350,000 lines, which prom-client's generic path (an object per
// value, then formatted) took ≈ 0.8 s to print. `mergedRegistry` merges registries as
// prom-client's Registry.merge does, keeping that fast path for the SeriesRegistry parts.
// The JSON form (getMetricsAsJSON) and OpenMetrics go through prom-client's own path.

import { Registry } from 'prom-client';
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

  /** The Prometheus text of every family. */
  seriesText(): string {
    return this.#sources.map(({ spec, read }) => seriesText(spec, read())).join('\n\n');
  }

  override async metrics(): Promise<string> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return super.metrics();
    return `${this.seriesText()}\n`;
  }
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

  #flat(): Registry[] {
    return this.#parts().flatMap((p) => (p instanceof MergedRegistry ? p.#flat() : [p]));
  }

  override async metrics(): Promise<string> {
    const parts = this.#flat();
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return Registry.merge(parts).metrics();
    const fast = parts.filter((p): p is SeriesRegistry => p instanceof SeriesRegistry);
    const rest = parts.filter((p) => !(p instanceof SeriesRegistry));
    const texts = rest.length > 0 ? [(await Registry.merge(rest).metrics()).replace(/\n$/, '')] : [];
    for (const p of fast) texts.push(p.seriesText());
    return `${texts.filter((t) => t !== '').join('\n\n')}\n`;
  }

  override getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    return Registry.merge(this.#flat()).getMetricsAsJSON();
  }

  /** What Registry.merge takes from it: its parts' metrics (so merging it elsewhere loses nothing). */
  override getMetricsAsArray(): ReturnType<Registry['getMetricsAsArray']> {
    return this.#flat().flatMap((p) => p.getMetricsAsArray());
  }
}

const escapeText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => escapeText(s).replace(/"/g, '\\"');
const valueText = (v: number): string => (Number.isNaN(v) ? 'Nan' : !Number.isFinite(v) ? (v < 0 ? '-Inf' : '+Inf') : `${v}`);

/** One family in the Prometheus text format, as prom-client prints it. */
function seriesText(spec: SeriesSpec, values: SeriesValues): string {
  const name = escapeText(spec.name);
  const lines = [`# HELP ${name} ${escapeText(spec.help)}`, `# TYPE ${name} ${spec.kind}`];
  const count = spec.labelNames.length;
  const buckets = spec.buckets ?? [];
  for (const [key, v] of values) {
    const labels = labelsOf(key, count).map((l, i) => `${spec.labelNames[i]}="${escapeLabel(l)}"`).join(',');
    if (spec.kind !== 'histogram') {
      lines.push(`${spec.name}${labels ? `{${labels}}` : ''} ${valueText(v[0] ?? 0)}`);
      continue;
    }
    const more = labels ? `,${labels}` : '';
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += v[i] ?? 0;
      lines.push(`${spec.name}_bucket{le="${buckets[i]}"${more}} ${valueText(seen)}`);
    }
    seen += v[buckets.length] ?? 0;
    lines.push(`${spec.name}_bucket{le="+Inf"${more}} ${valueText(seen)}`);
    lines.push(`${spec.name}_sum${labels ? `{${labels}}` : ''} ${valueText(v[buckets.length + 1] ?? 0)}`);
    lines.push(`${spec.name}_count${labels ? `{${labels}}` : ''} ${valueText(seen)}`);
  }
  return lines.join('\n');
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

