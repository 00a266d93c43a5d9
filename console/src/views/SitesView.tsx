// Sites: the list (readiness at a glance) and a form to create one.
import { useState, type FormEvent } from 'react';
import { get, send, type FarmStatus, type Site, type Whoami } from '../api.ts';
import { usePoll } from '../parts/hooks.ts';
import { href } from '../parts/route.ts';

export function SitesView({ me }: { me: Whoami }) {
  const { data, error, refresh } = usePoll((s) => get<FarmStatus>('/v1/status', s), 2000, []);
  return (
    <section>
      <h2>Sites</h2>
      {error && <div className="error">{error}</div>}
      <table className="list" data-testid="sites">
        <thead><tr><th>Site</th><th>Customer</th><th>Kind</th><th>Domains</th><th>Release</th><th>Ready</th></tr></thead>
        <tbody>
          {data?.sites.length === 0 && <tr><td colSpan={6} className="muted">No sites yet — create one below.</td></tr>}
          {data?.sites.map((s) => {
            // the controller's glance (the servers the router serves, a rollout under way); an older one's: the servers of the release
            const glance = data.rollouts?.[s.name];
            const ready = glance?.serving ?? readyOf(data, s);
            // a pooled site asking more replicas than there are engines can have only one per engine
            const wanted = data.capped?.[s.name] ?? glance?.replicas ?? s.replicas;
            const rollout = glance?.rollout;
            // servers no engine can take now, and why (a full farm, no engine reaching its database, …)
            const unplaced = glance?.unplaced;
            return (
              <tr key={s.name} data-testid="site-row" data-site={s.name}>
                <td><a href={href('sites', s.name)}>{s.name}</a></td>
                <td>{s.customer}</td>
                <td>{s.kind}</td>
                <td>{s.domains.join(', ')}</td>
                <td>{s.release ?? <span className="muted">none — <a href={href('deploy', s.name)}>deploy</a></span>}</td>
                <td>
                  <span className={`badge ${s.release && ready >= wanted && !rollout ? 'ok' : 'busy'}`} data-testid="site-ready">{ready}/{wanted}</span>
                  {rollout && <span className={`badge ${rollout.stuck ? 'bad' : 'busy'}`} data-testid="site-rollout">{rollout.stuck ? 'rollout stuck' : 'rolling out'} {rollout.ready}/{wanted}</span>}
                  {unplaced && <span className="badge bad" data-testid="site-unplaced" title={`since ${unplaced.since}`}>{unplaced.count} unplaced: {unplaced.reason}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <NewSite me={me} onCreated={refresh} />
    </section>
  );
}

/**
 * From a controller without `rollouts`: the site's ready VSs at its release, counted as `corral status` counts them: a pool VS's
 * own site is `pool`, so it counts for each site in its `pool` list, at the release it
 * serves of that site (`sites`); a draining VS has left the route and does not count.
 */
function readyOf(status: FarmStatus, s: Site): number {
  return status.virtualServers.filter((v) => {
    const release = v.pool ? (v.pool.includes(s.name) ? v.sites?.[s.name] : undefined) : v.site === s.name ? v.release : undefined;
    return release !== undefined && release === s.release && v.state === 'ready' && !v.draining;
  }).length;
}

const EMPTY = {
  name: '', domains: '', kind: 'static', command: '', replicas: '1', customer: '', healthPath: '', env: '',
  httpsRedirect: false, spa: false, balance: '', rate: '', burst: '', maxBodyMb: '', memoryMb: '', cpu: '', egress: '',
};
type Form = typeof EMPTY;

/** The create body for the form (what `corral site create` sends for the same flags); throws on a malformed env line. */
function siteBody(form: Form, admin: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: form.name.trim(), domains: form.domains.split(/[\s,]+/).filter(Boolean), kind: form.kind, replicas: Number(form.replicas),
  };
  if (admin) body.customer = form.customer.trim();
  if (form.kind === 'app') {
    body.command = form.command;
    if (form.healthPath.trim()) body.healthPath = form.healthPath.trim();
  }
  const env: Record<string, string> = {};
  for (const [n, line] of form.env.split('\n').entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`environment line ${n + 1}: write KEY=VALUE (got "${line.trim()}")`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  if (Object.keys(env).length) body.env = env;
  if (form.httpsRedirect) body.httpsRedirect = true;
  if (form.kind === 'static' && form.spa) body.spa = true;
  if (form.balance) body.balance = { policy: form.balance };
  const limits: Record<string, number> = {};
  if (form.rate) limits.requestsPerSecond = Number(form.rate);
  if (form.burst) limits.burst = Number(form.burst);
  if (form.maxBodyMb) limits.maxBodyBytes = Math.round(Number(form.maxBodyMb) * 1024 * 1024);
  if (Object.keys(limits).length) body.limits = limits;
  const resources: Record<string, number> = {};
  if (form.memoryMb) resources.memoryMb = Number(form.memoryMb);
  if (form.cpu) resources.cpu = Number(form.cpu);
  if (Object.keys(resources).length) body.resources = resources;
  if (form.egress) body.egress = form.egress;
  return body;
}

function NewSite({ me, onCreated }: { me: Whoami; onCreated: () => void }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [error, setError] = useState<string>();
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const { site } = await send<{ site: Site }>('POST', '/v1/sites', siteBody(form, me.role === 'admin'));
      onCreated();
      location.hash = href('deploy', site.name);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const app = form.kind === 'app';
  return (
    <form className="card form-grid" onSubmit={submit} data-testid="new-site">
      <h3>New site</h3>
      <label>Name<input value={form.name} onChange={set('name')} required data-testid="new-name" /></label>
      <label>Domains <span className="hint">comma or space separated; *.example.com allowed</span>
        <input value={form.domains} onChange={set('domains')} required placeholder="www.example.test, example.test" data-testid="new-domain" /></label>
      <label>Kind<select value={form.kind} onChange={set('kind')} data-testid="new-kind"><option value="static">static (files served by Corral)</option><option value="app">app (your command)</option></select></label>
      <label>Replicas<input type="number" min={0} max={20} value={form.replicas} onChange={set('replicas')} data-testid="new-replicas" /></label>
      {me.role === 'admin' && <label>Customer<input value={form.customer} onChange={set('customer')} required data-testid="new-customer" /></label>}
      {app && <label>Command <span className="hint">run in the release folder, listening on $PORT</span>
        <input value={form.command} onChange={set('command')} required placeholder="node server.js" data-testid="new-command" /></label>}
      {app && <label>Health path <span className="hint">must answer 2xx when ready</span>
        <input value={form.healthPath} onChange={set('healthPath')} placeholder="/health" data-testid="new-health" /></label>}
      <label className="inline wide-check"><input type="checkbox" checked={form.httpsRedirect} onChange={(e) => setForm({ ...form, httpsRedirect: e.target.checked })} data-testid="new-https-redirect" />
        redirect plain HTTP to HTTPS (308)</label>
      {!app && <label className="inline wide-check"><input type="checkbox" checked={form.spa} onChange={(e) => setForm({ ...form, spa: e.target.checked })} data-testid="new-spa" />
        single-page app: a page path that names no file gets /index.html (a missing asset stays 404)</label>}
      <label className="wide">Environment <span className="hint">one KEY=VALUE per line; PORT, HOST and CORRAL_* are set by Corral</span>
        <textarea rows={3} value={form.env} onChange={set('env')} placeholder={'NODE_ENV=production\nGREETING=hello'} data-testid="new-env" /></label>
      <details className="wide">
        <summary>Limits and balancing</summary>
        <div className="form-grid">
          <label>Balancing<select value={form.balance} onChange={set('balance')} data-testid="new-balance">
            <option value="">round-robin (default)</option><option value="least-conn">least connections</option><option value="sticky">sticky (cookie)</option>
          </select></label>
          <label>Rate limit (requests/s) <span className="hint">429 beyond</span><input type="number" min={1} value={form.rate} onChange={set('rate')} data-testid="new-rate" /></label>
          <label>Burst<input type="number" min={1} value={form.burst} onChange={set('burst')} data-testid="new-burst" /></label>
          <label>Largest request body (MiB) <span className="hint">413 beyond</span><input type="number" min={0} step="any" value={form.maxBodyMb} onChange={set('maxBodyMb')} data-testid="new-max-body" /></label>
          <label>Memory per VS (MiB) <span className="hint">namespace runtime</span><input type="number" min={16} value={form.memoryMb} onChange={set('memoryMb')} data-testid="new-memory" /></label>
          <label>CPU per VS (cores) <span className="hint">namespace runtime</span><input type="number" min={0.01} step="any" value={form.cpu} onChange={set('cpu')} data-testid="new-cpu" /></label>
          <label>Outbound network<select value={form.egress} onChange={set('egress')} data-testid="new-egress">
            <option value="">none (default)</option><option value="engine">to the engine only</option>
          </select></label>
        </div>
      </details>
      {error && <div className="error" role="alert">{error}</div>}
      <button type="submit" data-testid="create-site">Create site</button>
    </form>
  );
}
