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
            const ready = data.virtualServers.filter((v) => v.site === s.name && v.release === s.release && v.state === 'ready').length;
            return (
              <tr key={s.name} data-testid="site-row" data-site={s.name}>
                <td><a href={href('sites', s.name)}>{s.name}</a></td>
                <td>{s.customer}</td>
                <td>{s.kind}</td>
                <td>{s.domains.join(', ')}</td>
                <td>{s.release ?? <span className="muted">none — <a href={href('deploy', s.name)}>deploy</a></span>}</td>
                <td><span className={`badge ${s.release && ready === s.replicas ? 'ok' : 'busy'}`}>{ready}/{s.replicas}</span></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <NewSite me={me} onCreated={refresh} />
    </section>
  );
}

function NewSite({ me, onCreated }: { me: Whoami; onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', domain: '', kind: 'static', command: '', replicas: '1', customer: '' });
  const [error, setError] = useState<string>();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body: Record<string, unknown> = { name: form.name, domains: [form.domain], kind: form.kind, replicas: Number(form.replicas) };
      if (form.kind === 'app') body.command = form.command;
      if (me.role === 'admin') body.customer = form.customer;
      const { site } = await send<{ site: Site }>('POST', '/v1/sites', body);
      onCreated();
      location.hash = href('deploy', site.name);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="card form-grid" onSubmit={submit} data-testid="new-site">
      <h3>New site</h3>
      <label>Name<input value={form.name} onChange={set('name')} required data-testid="new-name" /></label>
      <label>Domain<input value={form.domain} onChange={set('domain')} required placeholder="www.example.test" data-testid="new-domain" /></label>
      <label>Kind<select value={form.kind} onChange={set('kind')} data-testid="new-kind"><option value="static">static</option><option value="app">app</option></select></label>
      {form.kind === 'app' && <label>Command<input value={form.command} onChange={set('command')} placeholder="node server.js" /></label>}
      <label>Replicas<input type="number" min={1} max={64} value={form.replicas} onChange={set('replicas')} data-testid="new-replicas" /></label>
      {me.role === 'admin' && <label>Customer<input value={form.customer} onChange={set('customer')} required data-testid="new-customer" /></label>}
      {error && <div className="error" role="alert">{error}</div>}
      <button type="submit" data-testid="create-site">Create site</button>
    </form>
  );
}
