// Events: the audit trail (who changed what) and farm events (crashes, OOM kills, lost
// engines, failovers), newest first.
import { useState } from 'react';
import { get, type FarmEvent } from '../api.ts';
import { time } from '../parts/format.ts';
import { usePoll } from '../parts/hooks.ts';

export function EventsView() {
  const [type, setType] = useState<'' | 'audit' | 'farm'>('');
  const { data, error } = usePoll((s) => get<{ events: FarmEvent[] }>(`/v1/events?limit=300${type ? `&type=${type}` : ''}`, s), 3000, [type]);
  return (
    <section>
      <h2>Events</h2>
      <div className="row toolbar">
        {(['', 'audit', 'farm'] as const).map((t) => (
          <button key={t} className={type === t ? '' : 'secondary'} onClick={() => setType(t)} data-testid={`events-${t || 'all'}`}>
            {t === '' ? 'All' : t === 'audit' ? 'Audit trail' : 'Farm events'}
          </button>
        ))}
      </div>
      {error && <div className="error">{error}</div>}
      <table className="list" data-testid="events">
        <thead><tr><th>Time</th><th>Kind</th><th>Action</th><th>Who</th><th>Target</th><th>Result</th><th>Detail</th></tr></thead>
        <tbody>
          {data?.events.length === 0 && <tr><td colSpan={7} className="muted">No events yet.</td></tr>}
          {data?.events.map((e) => (
            <tr key={e.id} data-testid="event-row" data-action={e.action}>
              <td>{time(e.at)}</td>
              <td><span className={`badge ${e.type === 'farm' ? 'busy' : 'idle'}`}>{e.type}</span></td>
              <td>{e.action}</td>
              <td>{e.principal ?? '–'}</td>
              <td>{e.target ?? '–'}</td>
              <td>{e.result ? <span className={`badge ${e.result === 'ok' ? 'ok' : 'bad'}`}>{e.status ?? e.result}</span> : '–'}</td>
              <td className="muted">{e.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
