// The console's shell: sign in with a token, then the views. Everything shown comes from
// the API with that token: an admin sees the farm, a customer its own sites.
import { useEffect, useState } from 'react';
import { get, token, type Whoami } from './api.ts';
import { href, useRoute } from './parts/route.ts';
import { FarmView } from './views/FarmView.tsx';
import { SitesView } from './views/SitesView.tsx';
import { SiteDetail } from './views/SiteDetail.tsx';
import { DeployView } from './views/DeployView.tsx';
import { LogsView } from './views/LogsView.tsx';
import { EventsView } from './views/EventsView.tsx';
import { SignIn } from './views/SignIn.tsx';

export function App() {
  const [me, setMe] = useState<Whoami | null>();
  const route = useRoute();
  useEffect(() => {
    if (!token.get()) return setMe(null);
    get<Whoami>('/v1/whoami').then(setMe, () => { token.clear(); setMe(null); });
  }, []);
  if (me === undefined) return <div className="loading">Loading…</div>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  const signOut = () => { token.clear(); setMe(null); };
  const tab = route.view === 'site' ? 'sites' : route.view;
  return (
    <div className="shell">
      <header className="top">
        <div className="brand">Corral</div>
        <nav>
          {(['farm', 'sites', 'deploy', 'logs', 'events'] as const).map((v) => (
            <a key={v} href={href(v)} className={tab === v ? 'active' : ''} data-testid={`nav-${v}`}>{v[0]!.toUpperCase() + v.slice(1)}</a>
          ))}
        </nav>
        <div className="who" data-testid="whoami">
          {me.role === 'customer' ? `customer ${me.customer}` : me.role}
          <button className="link" onClick={signOut}>Sign out</button>
        </div>
      </header>
      <main>
        {route.view === 'farm' && <FarmView me={me} />}
        {route.view === 'sites' && <SitesView me={me} />}
        {route.view === 'site' && <SiteDetail key={route.name} name={route.name} />}
        {route.view === 'deploy' && <DeployView key={route.name ?? ''} site={route.name} />}
        {route.view === 'logs' && <LogsView key={`${route.name ?? ''}/${route.vs ?? ''}`} site={route.name} vs={route.vs} />}
        {route.view === 'events' && <EventsView />}
      </main>
    </div>
  );
}
