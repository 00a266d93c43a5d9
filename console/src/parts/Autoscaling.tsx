// A site's autoscaling on its page: the bounds and target, whether it is idle (scaled
// to zero), and its recent scaling decisions with their reasons (farm events scale.*).
import { get, type FarmEvent, type Site } from '../api.ts';
import { usePoll } from './hooks.ts';

export function Autoscaling({ site, running }: { site: Site; running: number }) {
  const a = site.autoscale!;
  const events = usePoll((s) => get<{ events: FarmEvent[] }>(`/v1/events?type=farm&site=${encodeURIComponent(site.name)}&limit=50`, s), 3000, [site.name]);
  const decisions = (events.data?.events ?? []).filter((e) => e.action.startsWith('scale.')).slice(0, 8);
  return (
    <div data-testid="autoscaling">
      <dl className="kv">
        <dt>replicas</dt><dd>{a.minReplicas}–{a.maxReplicas}, aiming at {a.targetConcurrency ?? 10} requests in flight per VS</dd>
        {a.minReplicas === 0 && <><dt>idle after</dt><dd>{Math.round((a.idleTimeoutMs ?? 300_000) / 1000)} s without a request{running === 0 ? ' · idle now: the next request wakes it' : ''}</dd></>}
      </dl>
      <table className="list" data-testid="scaling-decisions">
        <thead><tr><th>When</th><th>Decision</th></tr></thead>
        <tbody>
          {decisions.length === 0 && <tr><td colSpan={2} className="muted">No scaling decision yet.</td></tr>}
          {decisions.map((e) => (
            <tr key={e.id} data-testid="scaling-decision"><td>{new Date(e.at).toLocaleTimeString()}</td><td>{e.message?.replace(`${site.name}: `, '')}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
