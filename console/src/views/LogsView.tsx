// Logs: tail a site's virtual servers live (one stream, each line prefixed with its VS),
// narrow to one guest, and search.
import { useEffect, useMemo, useRef, useState } from 'react';
import { followLogs, get, type Site } from '../api.ts';
import { usePoll } from '../parts/hooks.ts';

const MAX_LINES = 2000;

export function LogsView({ site: initial, vs: initialVs }: { site: string | undefined; vs: string | undefined }) {
  const sites = usePoll((s) => get<{ sites: Site[] }>('/v1/sites', s), 10_000, []);
  const [site, setSite] = useState(initial ?? '');
  const [vs, setVs] = useState(initialVs ?? '');
  const [search, setSearch] = useState('');
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState('');
  const chosen = site || sites.data?.sites[0]?.name || '';
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!chosen) return;
    const ctl = new AbortController();
    setLines([]);
    setStatus('following');
    const buffer: string[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    followLogs(chosen, 200, (line) => {
      buffer.push(line);
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
  const guests = useMemo(() => [...new Set(lines.map((l) => l.split(' | ')[0] ?? ''))].filter(Boolean).sort(), [lines]);
  const shown = lines.filter((l) => (!vs || l.startsWith(`${vs} | `)) && (!search || l.toLowerCase().includes(search.toLowerCase())));
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
        <input type="search" placeholder="search" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="logs-search" aria-label="search" />
        <span className="muted small" data-testid="logs-status">{status} · {shown.length}/{lines.length} lines</span>
      </div>
      <pre className="logs" data-testid="logs">
        {shown.map((l, i) => <div key={i}>{highlight(l, search)}</div>)}
        <div ref={bottom} />
      </pre>
    </section>
  );
}

function highlight(line: string, search: string) {
  if (!search) return line;
  const i = line.toLowerCase().indexOf(search.toLowerCase());
  if (i < 0) return line;
  return <>{line.slice(0, i)}<mark>{line.slice(i, i + search.length)}</mark>{line.slice(i + search.length)}</>;
}
