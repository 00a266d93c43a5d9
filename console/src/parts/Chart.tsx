// A small line chart as inline SVG: one series over time, its latest value in the title.
export interface ChartProps {
  title: string;
  unit: string;
  points: { t: number; v: number | undefined }[];
  testId?: string;
  color?: string;
  /** What the series counts, shown as a tooltip. */
  hint?: string;
}

const W = 320;
const H = 110;
const PAD = 4;

export function Chart({ title, unit, points, testId, color = '#2563eb', hint }: ChartProps) {
  const values = points.map((p) => p.v ?? 0);
  const max = Math.max(1e-9, ...values);
  const last = points.length ? points[points.length - 1]!.v : undefined;
  const x = (i: number) => PAD + (i * (W - 2 * PAD)) / Math.max(1, points.length - 1);
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.v ?? 0).toFixed(1)}`).join(' ');
  const area = points.length ? `${line} L${x(points.length - 1).toFixed(1)},${H - PAD} L${x(0).toFixed(1)},${H - PAD} Z` : '';
  return (
    <figure className="chart" data-testid={testId} data-last={last ?? ''} data-max={values.length ? max : 0} title={hint}>
      <figcaption>
        <span>{title}</span>
        <strong>{last === undefined ? '–' : `${round(last)} ${unit}`}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={title}>
        <line x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} className="axis" />
        {points.length > 1 && <path d={area} fill={color} opacity={0.12} />}
        {points.length > 1 && <path d={line} fill="none" stroke={color} strokeWidth={2} vectorEffect="non-scaling-stroke" />}
      </svg>
      <div className="chart-scale">max {round(max)} {unit}</div>
    </figure>
  );
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
