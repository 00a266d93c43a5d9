// The API's status answers as the CLI reads them (`corral status`, `corral vs list`, and
// `corral deploy` waiting for its release), shared here since commands do not import one another.
import type { Site, VsStatus } from '../../model/index.ts';

export type VsView = Partial<VsStatus> & { vs: string; site: string; engine: string; release: string; customer?: string; kind?: string; draining?: boolean };

export interface SiteStatus {
  site: Site;
  release?: string;
  replicas: number;
  ready: number;
  /** Releases of the endpoints the router currently balances over. */
  serving?: string[];
  virtualServers: VsView[];
}
