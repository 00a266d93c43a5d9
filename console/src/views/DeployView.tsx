// Deploy from the browser: pick a site and a folder (packed here into a .tar.gz) or a
// ready .tar.gz, watch the upload, then the rollout replica by replica until the router
// serves the new release.
import { useState, type FormEvent } from 'react';
import { get, uploadRelease, type Release, type Site, type SiteStatus } from '../api.ts';
import { bytes, stateClass } from '../parts/format.ts';
import { usePoll } from '../parts/hooks.ts';
import { href } from '../parts/route.ts';
import { packFolder } from '../parts/tar.ts';

type Source = { kind: 'tarball'; file: File } | { kind: 'folder'; files: File[]; name: string; bytes: number };

export function DeployView({ site: initial }: { site: string | undefined }) {
  const sites = usePoll((s) => get<{ sites: Site[] }>('/v1/sites', s), 10_000, []);
  const [site, setSite] = useState(initial ?? '');
  const [mode, setMode] = useState<'folder' | 'tarball'>('folder');
  const [source, setSource] = useState<Source>();
  const [packing, setPacking] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number }>();
  const [release, setRelease] = useState<Release>();
  const [error, setError] = useState<string>();
  const chosen = site || sites.data?.sites[0]?.name || '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!source || !chosen) return;
    setError(undefined); setRelease(undefined); setProgress(undefined);
    try {
      let body: Blob = source.kind === 'tarball' ? source.file : new Blob();
      if (source.kind === 'folder') {
        setPacking(true);
        try { body = (await packFolder(source.files)).tarball; } finally { setPacking(false); }
      }
      setProgress({ sent: 0, total: body.size });
      const res = await uploadRelease(chosen, body, (sent, total) => setProgress({ sent, total }));
      setRelease(res.release);
    } catch (err) {
      setError((err as Error).message);
      setProgress(undefined);
    }
  };
  const pct = progress ? Math.round((100 * progress.sent) / Math.max(1, progress.total)) : 0;
  return (
    <section>
      <h2>Deploy</h2>
      <form className="card form-grid" onSubmit={submit} data-testid="deploy-form">
        <label>Site
          <select value={chosen} onChange={(e) => setSite(e.target.value)} data-testid="deploy-site">
            {sites.data?.sites.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
          </select>
        </label>
        <fieldset className="choice">
          <legend>Release</legend>
          <label className="inline"><input type="radio" name="mode" checked={mode === 'folder'} onChange={() => { setMode('folder'); setSource(undefined); }} data-testid="deploy-mode-folder" /> a folder</label>
          <label className="inline"><input type="radio" name="mode" checked={mode === 'tarball'} onChange={() => { setMode('tarball'); setSource(undefined); }} data-testid="deploy-mode-tarball" /> a .tar.gz</label>
        </fieldset>
        {mode === 'folder' ? (
          <label>The site's folder (packed into a .tar.gz here, then uploaded)
            <input type="file" {...{ webkitdirectory: '', directory: '' }} multiple data-testid="deploy-folder" onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              const name = (files[0]?.webkitRelativePath ?? '').split('/')[0] ?? '';
              setSource(files.length ? { kind: 'folder', files, name, bytes: files.reduce((n, f) => n + f.size, 0) } : undefined);
            }} />
          </label>
        ) : (
          <label>A .tar.gz of the site's folder
            <input type="file" accept=".tar.gz,.tgz,application/gzip" onChange={(e) => { const f = e.target.files?.[0]; setSource(f ? { kind: 'tarball', file: f } : undefined); }} data-testid="deploy-file" />
          </label>
        )}
        <button type="submit" disabled={!source || !chosen || packing || (progress !== undefined && !release && !error)} data-testid="deploy-submit">Upload and roll out</button>
        {source?.kind === 'folder' && <div className="muted small wide" data-testid="deploy-picked">{source.name}/: {source.files.length} files, {bytes(source.bytes)}</div>}
        {packing && <div className="muted small wide">packing the folder…</div>}
        {progress && (
          <div className="progress" data-testid="upload-progress" data-pct={pct}>
            <div className="bar" style={{ width: `${pct}%` }} />
            <span>{release ? `uploaded: release #${release.number}` : `uploading ${pct}%`}</span>
          </div>
        )}
        {error && <div className="error" role="alert">{error}</div>}
      </form>
      {release && <Rollout site={chosen} release={release} />}
    </section>
  );
}

function Rollout({ site, release }: { site: string; release: Release }) {
  const { data } = usePoll((s) => get<SiteStatus>(`/v1/sites/${encodeURIComponent(site)}/status`, s), 700, [site, release.id]);
  if (!data) return null;
  const mine = data.virtualServers.filter((v) => v.release === release.id);
  const old = data.virtualServers.filter((v) => v.release !== release.id);
  const ready = mine.filter((v) => v.state === 'ready').length;
  const done = ready >= data.replicas && data.serving.length === 1 && data.serving[0] === release.id;
  const superseded = data.release !== release.id;
  return (
    <div className="card" data-testid="rollout" data-done={done ? 'yes' : 'no'}>
      <h3>Rollout of release #{release.number} to {site}</h3>
      <ol className="steps">
        {Array.from({ length: data.replicas }, (_, i) => {
          const v = mine[i];
          return (
            <li key={i} className={stateClass(v?.state)} data-testid="rollout-step" data-state={v?.state ?? 'pending'}>
              replica {i + 1}: {v ? `${v.vs} ${v.state ?? 'placed'}` : 'waiting for a placement'}
            </li>
          );
        })}
        <li className={done ? 'ok' : 'idle'}>router switched to the new release{done ? '' : '…'}</li>
        <li className={done && old.length === 0 ? 'ok' : 'idle'}>old virtual servers drained and stopped ({old.length} left)</li>
      </ol>
      <div className={`badge ${done ? 'ok' : 'busy'}`} data-testid="rollout-status">
        {superseded ? 'superseded by a newer release' : done ? `ready: ${ready}/${data.replicas} serving release #${release.number}` : `rolling out: ${ready}/${data.replicas} ready`}
      </div>
      <p><a href={href('sites', site)}>Open {site}</a></p>
    </div>
  );
}
