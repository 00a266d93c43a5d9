// `--store etcd://h1:2379,h2:2379[/namespace]` → endpoints (and an optional key namespace).

import { badStoreUrl } from './errors.ts';

export interface StoreUrl {
  endpoints: string[];
  namespace?: string;
}

export function parseStoreUrl(url: string): StoreUrl {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(url.trim());
  if (!m?.[1]) throw badStoreUrl(url);
  const endpoints = m[1].split(',').map((h) => h.trim());
  if (endpoints.some((h) => !/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(h))) throw badStoreUrl(url);
  const ns = m[2] && m[2] !== '/' ? m[2].replace(/\/+$/, '') : undefined;
  return { endpoints: endpoints.map((h) => `http://${h}`), ...(ns ? { namespace: ns } : {}) };
}
