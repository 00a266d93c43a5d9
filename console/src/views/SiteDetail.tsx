// One site: domains, its whole release history (roll back or forward to any release),
// replicas (scale; or the autoscaling bounds and its decisions), health of each VS, and live charts of its traffic as the router
// measured it (server errors 5xx and client errors 4xx apart), and its certificate state.

import { useState } from 'react';
import { get, send, type CertificateState, type Release, type SiteStatus, type StatsPoint } from '../api.ts';
import { Chart } from '../parts/Chart.tsx';
import { bytes, stateClass } from '../parts/format.ts';
import { usePoll } from '../parts/hooks.ts';
import { href } from '../parts/route.ts';
import { Autoscaling } from '../parts/Autoscaling.tsx';

const STEP = 2;
const SPAN = 180;

export function SiteDetail({ name }: { name: string }) {
  const path = `/v1/sites/${encodeURIComponent(name)}`;
  const status = usePoll((s) => get<SiteStatus>(`${path}/status`, s), 1500, [name]);
  const releases = usePoll((s) => get<{ releases: Release[] }>(`${path}/releases`, s), 5000, [name]);
  const stats = usePoll((s) => get<{ points: StatsPoint[] }>(`${path}/stats?seconds=${SPAN}&step=${STEP}`, s), 2000, [name]);
  const cert = usePoll((s) => get<{ certificate: CertificateState }>(`${path}/certificate-status`, s), 5000, [name]);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [replicas, setReplicas] = useState<string>('');

  if (!status.data) return <div className="muted">{status.error ?? 'Loading…'}</div>;
  const { site, serving, virtualServers } = status.data;
  // the servers running what the site says now (an older controller: those of its release)
  const ready = status.data.rollout?.ready ?? status.data.ready;
  const act = async (what: string, run: () => Promise<unknown>) => {
    setBusy(what); setError(undefined);
    try { await run(); status.refresh(); releases.refresh(); } catch (err) { setError((err as Error).message); } finally { setBusy(undefined); }
  };
  const byId = new Map((releases.data?.releases ?? []).map((r) => [r.id, r]));
  const points = stats.data?.points ?? [];
  return (
    <section data-testid="site-detail" data-site={site.name}>
      <h2><a href={href('sites')} className="muted">Sites /</a> {site.name} {site.autoscale
        ? <span className="badge ok" data-testid="ready">{ready} ready · autoscaled {site.autoscale.minReplicas}–{site.autoscale.maxReplicas}</span>
        : <span className={`badge ${ready === site.replicas && site.release ? 'ok' : 'busy'}`} data-testid="ready">{ready}/{site.replicas} ready</span>}</h2>
      {error && <div className="error" role="alert">{error}</div>}
      <div className="grid2">
        <div className="card">
          <h3>Site</h3>
          <dl className="kv">
            <dt>customer</dt><dd>{site.customer}</dd>
            <dt>kind</dt><dd>{site.kind}{site.command ? ` · ${site.command}` : ''}</dd>
            <dt>domains</dt><dd data-testid="domains">{site.domains.join(', ')}</dd>
            <dt>health</dt><dd>{site.kind === 'static' ? '/.corral/health' : site.healthPath}</dd>
            <dt>serving</dt><dd>{serving.join(', ') || 'nothing yet'}</dd>
          </dl>
          {cert.data && <Certificate c={cert.data.certificate} />}
          <div className="row">
            <a className="button" href={href('deploy', site.name)}>Deploy…</a>
            <a className="button secondary" href={href('logs', site.name)}>Logs</a>
          </div>
        </div>
        <div className="card">
          <h3>Releases</h3>
          <dl className="kv">
            <dt>current</dt><dd data-testid="current-release">{describe(site.release, byId)}</dd>
            <dt>previous</dt><dd>{describe(site.previousRelease, byId)}</dd>
          </dl>
          <button disabled={!site.previousRelease || busy !== undefined} onClick={() => act('rollback', () => send('POST', `${path}/rollback`))} data-testid="rollback">
            {busy === 'rollback' ? 'Rolling back…' : 'Roll back to previous'}
          </button>
          <span className="muted small"> or pick any release in the history below</span>
          <h3>Replicas</h3>
          {site.autoscale ? <Autoscaling site={site} running={virtualServers.length} /> : <form className="row" onSubmit={(e) => { e.preventDefault(); void act('scale', () => send('POST', `${path}/scale`, { replicas: Number(replicas) })); setReplicas(''); }}>
            <input type="number" min={0} max={64} placeholder={String(site.replicas)} value={replicas} onChange={(e) => setReplicas(e.target.value)} data-testid="replicas" aria-label="replicas" />
            <button type="submit" disabled={replicas === '' || busy !== undefined} data-testid="scale">{busy === 'scale' ? 'Scaling…' : 'Scale'}</button>
          </form>}
        </div>
      </div>
      <h3>Traffic <span className="muted small">last {SPAN / 60} minutes, {STEP}-second steps, as the router saw it; errors as a share of requests: 5xx the site or router failed, 4xx the request was refused or not found</span></h3>
      <div className="charts">
        <Chart title="Requests/s" unit="req/s" testId="chart-rps" points={points.map((p) => ({ t: p.t, v: p.requests / STEP }))} />
        <Chart title="Latency p50" unit="ms" testId="chart-p50" points={points.map((p) => ({ t: p.t, v: p.p50Ms }))} color="#059669" />
        <Chart title="Latency p99" unit="ms" testId="chart-p99" points={points.map((p) => ({ t: p.t, v: p.p99Ms }))} color="#d97706" />
        <Chart title="Server errors (5xx)" unit="%" testId="chart-errors" color="#dc2626"
          hint="share of requests answered 500–599 by the site or the router (502, 503, 504), or cut off"
          points={points.map((p) => ({ t: p.t, v: p.requests ? (100 * p.errors) / p.requests : 0 }))} />
        <Chart title="Client errors (4xx)" unit="%" testId="chart-client-errors" color="#7c3aed"
          hint="share of requests answered 400–499: not found, refused, rate limited (429)…"
          points={points.map((p) => ({ t: p.t, v: p.clientErrors === undefined ? undefined : p.requests ? (100 * p.clientErrors) / p.requests : 0 }))} />
      </div>
      <ReleaseHistory releases={releases.data?.releases} current={site.release} previous={site.previousRelease} busy={busy}
        activate={(r) => act(`activate-${r.id}`, () => send('POST', `${path}/releases/${encodeURIComponent(r.id)}/activate`))} />
      <h3>Virtual servers</h3>
      <table className="list" data-testid="site-vs">
        <thead><tr><th>VS</th><th>Engine</th><th>Release</th><th>State</th><th>Address</th><th>Restarts</th><th /></tr></thead>
        <tbody>
          {virtualServers.map((v) => (
            <tr key={v.vs} data-testid="vs-row" data-state={v.state ?? 'pending'}>
              <td>{v.vs}</td><td>{v.engine}</td><td>{describe(v.release, byId)}</td>
              <td><span className={`badge ${stateClass(v.state)}`}>{v.state ?? 'pending'}</span></td>
              <td>{v.address ? `${v.address}:${v.port}` : '–'}</td><td>{v.restarts ?? 0}</td>
              <td><a href={href('logs', site.name, v.vs)}>logs</a></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function describe(id: string | undefined, byId: Map<string, Release>): string {
  if (!id) return 'none';
  const r = byId.get(id);
  return r ? `#${r.number} (${r.sha256.slice(0, 10)}, ${new Date(r.createdAt).toLocaleString()})` : id;
}

function ReleaseHistory({ releases, current, previous, busy, activate }: {
  releases: Release[] | undefined; current: string | undefined; previous: string | undefined; busy: string | undefined; activate: (r: Release) => void;
}) {
  const currentNumber = releases?.find((r) => r.id === current)?.number ?? 0;
  return (
    <>
      <h3>Release history <span className="muted small">newest first; activating one rolls the site to it replica by replica</span></h3>
      <table className="list" data-testid="release-history">
        <thead><tr><th>Release</th><th>Uploaded</th><th>Content</th><th>sha256</th><th /><th /></tr></thead>
        <tbody>
          {releases?.length === 0 && <tr><td colSpan={6} className="muted">No releases yet.</td></tr>}
          {[...(releases ?? [])].reverse().map((r) => (
            <tr key={r.id} data-testid="release-row" data-release={r.id} data-current={r.id === current ? 'yes' : 'no'}>
              <td>#{r.number} <span className="muted">({r.id})</span></td>
              <td>{new Date(r.createdAt).toLocaleString()}</td>
              <td>{r.files} files, {bytes(r.size)}</td>
              <td><code title={r.sha256}>{r.sha256.slice(0, 12)}</code></td>
              <td>{r.id === current ? <span className="badge ok">current</span> : r.id === previous ? <span className="badge">previous</span> : null}</td>
              <td>
                {r.id !== current && (
                  <button className="secondary" disabled={busy !== undefined} onClick={() => activate(r)} data-testid="activate-release">
                    {busy === `activate-${r.id}` ? 'Activating…' : r.number < currentNumber ? 'Roll back to this' : 'Activate'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const CERT_BADGE: Record<CertificateState['state'], string> = { valid: 'ok', pending: 'busy', renewing: 'busy', failed: 'bad', expired: 'bad', none: '' };

function Certificate({ c }: { c: CertificateState }) {
  const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '–');
  return (
    <>
      <h3>Certificate <span className={`badge ${CERT_BADGE[c.state]}`} data-testid="cert-state">{c.state}</span></h3>
      <dl className="kv" data-testid="certificate">
        <dt>mode</dt><dd>{c.mode === 'auto' ? 'automatic (ACME)' : c.mode === 'manual' ? 'uploaded' : 'off (default certificate)'}</dd>
        {c.issuer && <><dt>issuer</dt><dd>{c.issuer}</dd></>}
        {c.names.length > 0 && <><dt>names</dt><dd>{c.names.join(', ')}</dd></>}
        {c.notAfter && <><dt>expires</dt><dd>{when(c.notAfter)}</dd></>}
        {c.nextRenewal && <><dt>{c.state === 'failed' ? 'next try' : 'renews'}</dt><dd>{when(c.nextRenewal)}</dd></>}
        {c.lastError && <><dt>last error</dt><dd className="error" data-testid="cert-error">{c.lastError}{c.failures > 1 ? ` (${c.failures} tries)` : ''}</dd></>}
      </dl>
    </>
  );
}
