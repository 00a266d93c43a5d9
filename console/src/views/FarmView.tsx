// The farm: the router in front, then each engine (the engine OS) drawn as a box with its
// virtual servers (guests) inside — site, state, address, CPU and memory where known.
import { useRef } from 'react';
import { stream, type FarmStatus, type Vs, type Whoami } from '../api.ts';
import { bytes, stateClass } from '../parts/format.ts';
import { useStream } from '../parts/hooks.ts';
import { href } from '../parts/route.ts';

export function FarmView({ me }: { me: Whoami }) {
  // pushed by the controller on every change (and every 2 s for CPU and memory use)
  const { data, error } = useStream<FarmStatus>((onEvent, s) => stream('/v1/status/stream', onEvent, s), 2000, []);
  const cpu = useCpu(data?.virtualServers ?? []);
  if (!data) return <div className="muted">{error ?? 'Loading the farm…'}</div>;
  const engineIds = [...new Set([...data.engines.map((e) => e.id), ...data.virtualServers.map((v) => v.engine)])].sort();
  return (
    <section>
      <h2>Farm {me.role === 'customer' && <span className="muted small">— your sites only</span>}
        {data.leader && <span className="muted small" data-testid="leader"> · leader controller <strong>{data.leader.id}</strong></span>}</h2>
      {error && <div className="error">{error}</div>}
      <Legend />
      <div className="router-box" data-testid="router">
        <div className="box-title">Router <span className="muted">routes by Host</span></div>
        <div className="domains">
          {data.sites.length === 0 && <span className="muted">no sites yet</span>}
          {data.sites.map((s) => (
            <a key={s.name} href={href('sites', s.name)} className="pill">{s.domains[0] ?? s.name} → {s.name}</a>
          ))}
        </div>
      </div>
      <div className="engines">
        {engineIds.length === 0 && <div className="muted">No engines are running.</div>}
        {engineIds.map((id) => {
          const engine = data.engines.find((e) => e.id === id);
          const guests = data.virtualServers.filter((v) => v.engine === id);
          return (
            <div key={id} className="engine" data-testid="engine" data-engine={id}>
              <div className="box-title">
                Engine <strong>{id}</strong>
                {engine && <span className="muted"> · {engine.runtime} runtime · {engine.capacity.cpus} CPUs · {bytes(engine.capacity.memoryMb * 1024 * 1024)} · {guests.length}/{engine.capacity.maxVirtualServers} VS</span>}
                {engine?.draining && <span className="badge busy">draining</span>}
              </div>
              <div className="guests">
                {guests.length === 0 && <div className="muted small">no virtual servers</div>}
                {guests.map((v) => <Guest key={v.vs} v={v} cpu={cpu.get(v.vs)} />)}
              </div>
              <div className="engine-os" title={ENGINE_TIP}>engine OS — the host running the engine agent</div>
            </div>
          );
        })}
      </div>
    </section>
  );
}

function Guest({ v, cpu }: { v: Vs; cpu: number | undefined }) {
  // a pool VS serves many static sites of its customer: each with the release it serves (… until loaded)
  const pool = v.pool || v.sites ? [...new Set([...(v.pool ?? []), ...Object.keys(v.sites ?? {})])].sort() : undefined;
  return (
    <a className={`guest ${stateClass(v.state)}`} href={href('sites', v.site)} title={`${v.vs}: a virtual server of ${v.site} — ${STATE_TIPS[v.state ?? 'pending'] ?? v.state}`} data-testid="guest" data-site={v.site} data-state={v.state ?? 'pending'}>
      <div className="guest-head"><span className="dot" />{v.vs}</div>
      <div className="guest-site">{pool ? `pool of ${pool.length} site${pool.length === 1 ? '' : 's'}` : v.site}</div>
      <dl>
        <dt>state</dt><dd>{v.state ?? 'pending'}{v.assigned ? '' : ' (leaving)'}</dd>
        <dt>IP</dt><dd>{v.address ? `${v.address}:${v.port}` : '–'}</dd>
        <dt>CPU</dt><dd>{cpu === undefined ? '–' : `${cpu.toFixed(1)}%`}</dd>
        <dt>mem</dt><dd>{bytes(v.memoryBytes)}</dd>
        {pool ? <><dt>sites</dt><dd data-testid="pool-sites">{pool.map((n) => `${n}@${v.sites?.[n] ?? '…'}`).join(' ') || '–'}</dd></> : <><dt>release</dt><dd>{v.release}</dd></>}
        {(v.restarts ?? 0) > 0 && <><dt>restarts</dt><dd>{v.restarts}</dd></>}
      </dl>
      <div className="guest-os" title={GUEST_TIP}>guest OS</div>
    </a>
  );
}

const ENGINE_TIP = "The engine: one machine (or VM) running the Corral engine agent on its own operating system. It starts, checks and stops the virtual servers drawn above it.";
const GUEST_TIP = "The guest: one virtual server's own isolated system (its processes, network address and limits), running one release of one site.";
const STATE_TIPS: Record<string, string> = {
  pending: 'placed, not started yet',
  queued: "waiting for one of its engine's start slots",
  starting: 'started, waiting for its health check',
  ready: 'healthy: the router sends it traffic',
  unhealthy: 'failing its health check: no traffic',
  crashed: 'exited; the engine restarts it',
  backoff: 'crashed repeatedly; waiting before the next restart',
  stopping: 'draining in-flight requests before it stops',
};

/** What the boxes, bars and colours of the farm drawing mean. */
function Legend() {
  return (
    <div className="legend" data-testid="farm-legend">
      <span className="legend-item"><span className="swatch engine-swatch" />engine: a host running the engine agent</span>
      <span className="legend-item"><span className="swatch guest-swatch" />virtual server (VS): one replica of a site, isolated</span>
      <span className="legend-item" title={GUEST_TIP}><span className="bar-sample guest-os">guest OS</span> the VS's own system (processes, address, limits)</span>
      <span className="legend-item" title={ENGINE_TIP}><span className="bar-sample engine-os">engine OS</span> the host's system the VSs run on</span>
      <span className="legend-item ok" title={STATE_TIPS.ready}><span className="dot" />ready</span>
      <span className="legend-item busy" title={STATE_TIPS.starting}><span className="dot" />starting / stopping</span>
      <span className="legend-item bad" title={STATE_TIPS.crashed}><span className="dot" />crashed / unhealthy</span>
      <span className="legend-item" title="CPU: share of one core over the last update; mem: resident memory">CPU · mem: the VS's use now</span>
    </div>
  );
}

/** CPU % per VS from the change of its CPU time between two updates. */
function useCpu(vss: Vs[]): Map<string, number> {
  const prev = useRef(new Map<string, { at: number; cpu: number }>());
  const out = useRef(new Map<string, number>());
  const now = performance.now();
  for (const v of vss) {
    if (v.cpuSeconds === undefined) continue;
    const p = prev.current.get(v.vs);
    if (p && p.cpu !== v.cpuSeconds && now > p.at) out.current.set(v.vs, (100 * (v.cpuSeconds - p.cpu)) / ((now - p.at) / 1000));
    else if (p && p.cpu === v.cpuSeconds && now - p.at > 1500) out.current.set(v.vs, 0);
    if (!p || p.cpu !== v.cpuSeconds || now - p.at > 1500) prev.current.set(v.vs, { at: now, cpu: v.cpuSeconds });
  }
  return out.current;
}
