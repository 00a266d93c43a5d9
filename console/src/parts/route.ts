// Hash routing: #/farm, #/sites, #/sites/<name>, #/deploy/<name>, #/logs/<name>, #/events.
import { useEffect, useState } from 'react';

export type Route =
  | { view: 'farm' } | { view: 'sites' } | { view: 'site'; name: string }
  | { view: 'deploy'; name?: string } | { view: 'logs'; name?: string; vs?: string } | { view: 'events' };

export function parseHash(hash: string): Route {
  const [view, name, vs] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (view) {
    case 'sites': return name ? { view: 'site', name } : { view: 'sites' };
    case 'deploy': return name ? { view: 'deploy', name } : { view: 'deploy' };
    case 'logs': return { view: 'logs', ...(name ? { name } : {}), ...(vs ? { vs } : {}) };
    case 'events': return { view: 'events' };
    default: return { view: 'farm' };
  }
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
