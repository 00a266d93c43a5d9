// Where each record lives in the store. One prefix per record type; never build
// these strings elsewhere.

const ROOT = '/corral';

export const keys = {
  customers: `${ROOT}/customers/`,
  customer: (id: string) => `${ROOT}/customers/${id}`,
  tokens: `${ROOT}/tokens/`,
  token: (sha256: string) => `${ROOT}/tokens/${sha256}`,
  sites: `${ROOT}/sites/`,
  site: (name: string) => `${ROOT}/sites/${name}`,
  /** Domain → site name; claimed in the same transaction as the site, so a domain has one owner. */
  domains: `${ROOT}/domains/`,
  domain: (domain: string) => `${ROOT}/domains/${domain}`,
  releases: `${ROOT}/releases/`,
  siteReleases: (site: string) => `${ROOT}/releases/${site}/`,
  release: (site: string, id: string) => `${ROOT}/releases/${site}/${id}`,
  engines: `${ROOT}/engines/`,
  engine: (id: string) => `${ROOT}/engines/${id}`,
  assignments: `${ROOT}/assignments/`,
  engineAssignments: (engine: string) => `${ROOT}/assignments/${engine}/`,
  assignment: (engine: string, vs: string) => `${ROOT}/assignments/${engine}/${vs}`,
  vsStatuses: `${ROOT}/vs-status/`,
  engineVsStatuses: (engine: string) => `${ROOT}/vs-status/${engine}/`,
  vsStatus: (engine: string, vs: string) => `${ROOT}/vs-status/${engine}/${vs}`,
  routes: `${ROOT}/routes/`,
  route: (site: string) => `${ROOT}/routes/${site}`,
  counters: `${ROOT}/counters/`,
  counter: (name: string) => `${ROOT}/counters/${name}`,
  leader: `${ROOT}/leader`,
} as const;

/** The last path segment of a key. */
export function keyName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
