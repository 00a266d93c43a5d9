// Logs: tail a site's virtual servers live (one stream, each line prefixed with its VS),
// read as lines (time, level, message, then the other keys), narrowed by VS, level and
// source, with health-check lines hidden unless asked for, and searched.
import { useEffect, useMemo, useRef, useState } from 'react';
import { followLogs, get, type Site } from '../api.ts';
import { usePoll } from '../parts/hooks.ts';
import { atLeast, LEVELS, parseLogLine, showValue, type Level, type LogLine } from '../parts/log-line.ts';

const MAX_LINES = 2000;
const SOURCES = [['', 'all sources'], ['app', 'guest output'], ['router', 'router access']] as const;

export function LogsView({ site: initial, vs: initialVs }: { site: string | undefined; vs: string | undefined }) {
  const sites = usePoll((s) => get<{ sites: Site[] }>('/v1/sites', s), 10_000, []);
  const [site, setSite] = useState(initial ?? '');
  const [vs, setVs] = useState(initialVs ?? '');
  const [level, setLevel] = useState<Level | ''>('');
  const [source, setSource] = useState('');
  const [health, setHealth] = useState(false);
  const [search, setSearch] = useState('');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [status, setStatus] = useState('');
  const chosen = site || sites.data?.sites[0]?.name || '';
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!chosen) return;
    const ctl = new AbortController();
    setLines([]);
    setStatus('following');
    const buffer: LogLine[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    followLogs(chosen, 200, (line) => {
      buffer.push(parseLogLine(line));
      flush ??= setTimeout(() => {
        flush = undefined;
        const add = buffer.splice(0);
        setLines((prev) => [...prev, ...add].slice(-MAX_LINES));
      }, 100);
    }, ctl.signal).then(() => setStatus('stream ended'), (err: Error) => { if (!ctl.signal.aborted) setStatus(`error: ${err.message}`); });
    return () => { ctl.abort(); if (flush) clearTimeout(flush); };
  }, [chosen]);

  useEffect(() => {
    // Braces: chromium's scrollIntoView may return a promise, which React would take for a cleanup.
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [lines]);
  const guests = useMemo(() => [...new Set(lines.map((l) => l.vs))].filter(Boolean).sort(), [lines]);
  const healthPaths = useMemo(() => {
    const s = sites.data?.sites.find((x) => x.name === chosen);
    return new Set(['/.corral/health', ...(s?.healthPath ? [s.healthPath.split('?')[0]!] : [])]);
  }, [sites.data, chosen]);
  const needle = search.toLowerCase();
  const isHealth = (l: LogLine) => l.path !== undefined && healthPaths.has(l.path);
  const hiddenHealth = lines.filter(isHealth).length;
  const shown = lines.filter((l) => (!vs || l.vs === vs) && (!source || (l.source ?? 'app') === source) && atLeast(l, level) && (health || !isHealth(l))
    && (!needle || l.raw.toLowerCase().includes(needle)));
  return (
    <section>
      <h2>Logs</h2>
      <div className="row toolbar">
        <select value={chosen} onChange={(e) => { setSite(e.target.value); setVs(''); }} data-testid="logs-site" aria-label="site">
          {sites.data?.sites.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
        </select>
        <select value={vs} onChange={(e) => setVs(e.target.value)} data-testid="logs-vs" aria-label="virtual server">
          <option value="">all virtual servers</option>
          {[...new Set([...guests, ...(vs ? [vs] : [])])].map((g) => <option key={g} value={g}>{g}</option>)}
        </select>
        <select value={level} onChange={(e) => setLevel(e.target.value as Level | '')} data-testid="logs-level" aria-label="level">
          <option value="">all levels</option>
          {LEVELS.slice(1).map((l) => <option key={l} value={l}>{l} and above</option>)}
        </select>
        <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="logs-source" aria-label="source"
          title="guest output: what the virtual servers wrote; router access: one line per request the router answered">
          {SOURCES.map(([v, label]) => <option key={v} value={v}>{label}</option>)}
        </select>
        <label className="inline" title={`lines about requests to ${[...healthPaths].join(' or ')}`}>
          <input type="checkbox" checked={health} onChange={(e) => setHealth(e.target.checked)} data-testid="logs-health" />
          health checks{hiddenHealth > 0 && !health ? ` (${hiddenHealth} hidden)` : ''}
        </label>
        <input type="search" placeholder="search" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="logs-search" aria-label="search" />
        <span className="muted small" data-testid="logs-status">{status} · {shown.length}/{lines.length} lines
          {source === 'router' && !lines.some((l) => l.source === 'router') && ' · no router access lines (yet) from this controller'}</span>
      </div>
      <div className="logs" data-testid="logs">
        {shown.map((l, i) => <Line key={i} line={l} search={search} />)}
        <div ref={bottom} />
      </div>
    </section>
  );
}

function Line({ line, search }: { line: LogLine; search: string }) {
  return (
    <div className={`log-line lvl-${line.level ?? 'none'}`} data-testid="log-line" data-vs={line.vs} data-level={line.level ?? ''} data-source={line.source ?? 'app'}>
      {/* spaces between the parts: a copied line reads as text */}
      {line.time && <><span className="log-time">{clock(line.time)}</span>{' '}</>}
      <span className="log-vs">{line.vs}</span>{' '}
      {line.source && <><span className="log-source">{line.source}</span>{' '}</>}
      {line.level && <><span className="log-level">{line.level}</span>{' '}</>}
      <span className="log-msg">{highlight(line.message, search)}</span>
      {line.fields.map(([k, v]) => (
        <span key={k}>{' '}<span className="log-field"><span className="k">{k}=</span>{highlight(showValue(v), search)}</span></span>
      ))}
    </div>
  );
}

function clock(d: Date): string {
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function highlight(text: string, search: string) {
  if (!search) return text;
  const i = text.toLowerCase().indexOf(search.toLowerCase());
  if (i < 0) return text;
  return <>{text.slice(0, i)}<mark>{text.slice(i, i + search.length)}</mark>{text.slice(i + search.length)}</>;
}
