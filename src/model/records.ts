// The farm's records as they are kept in the store (JSON values). Every part that
// reads or writes the store uses these shapes; keys.ts says where each one lives.

export type SiteKind = 'static' | 'app';

export interface Customer {
  id: string;
  name: string;
  createdAt: string;
}

/** A bearer token; only its sha256 is stored (the key), never the token itself. */
export interface TokenRecord {
  role: 'admin' | 'customer' | 'engine';
  /** Set for role 'customer'. */
  customer?: string;
  name: string;
  createdAt: string;
}

export interface Site {
  name: string;
  customer: string;
  domains: string[];
  kind: SiteKind;
  replicas: number;
  /** For app sites: the command run in the release directory, e.g. "node server.js". */
  command?: string;
  healthPath: string;
  env: Record<string, string>;
  /** The release that should be serving (desired state). */
  release?: string;
  /** The release that served before `release`, target of a rollback. */
  previousRelease?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Release {
  id: string;
  site: string;
  /** Sequence number within the site: 1, 2, 3 … */
  number: number;
  sha256: string;
  size: number;
  files: number;
  unpackedBytes: number;
  createdAt: string;
}

/** An engine's registration, attached to its lease. */
export interface EngineRecord {
  id: string;
  /** Runtime driver the engine uses for its virtual servers. */
  runtime: 'process' | 'namespace';
  capacity: { cpus: number; memoryMb: number; maxVirtualServers: number };
  startedAt: string;
  /** Set while the engine is being drained: the scheduler places nothing new on it. */
  draining?: boolean;
}

/** Desired state of one virtual server, written by the controller for one engine. */
export interface Assignment {
  vs: string;
  engine: string;
  site: string;
  customer: string;
  kind: SiteKind;
  release: string;
  /** sha256 of the release tarball, so the engine can fetch and verify it. */
  sha256: string;
  command?: string;
  healthPath: string;
  env: Record<string, string>;
  /** Static sites: domains served by the web runtime. */
  domains: string[];
  createdAt: string;
}

export type VsState = 'starting' | 'ready' | 'unhealthy' | 'crashed' | 'backoff' | 'stopping' | 'stopped';

/** Observed state of one virtual server, written by its engine under the engine's lease. */
export interface VsStatus {
  vs: string;
  engine: string;
  site: string;
  release: string;
  state: VsState;
  address?: string;
  port?: number;
  pid?: number;
  restarts: number;
  /** Last exit: code or signal, and whether it was an OOM kill. */
  lastExit?: { code: number | null; signal: string | null; at: string; oom?: boolean };
  updatedAt: string;
}

export interface Endpoint {
  vs: string;
  address: string;
  port: number;
  release: string;
}

/** What the router needs for one site: its domains and the endpoints to balance over. */
export interface Route {
  site: string;
  domains: string[];
  endpoints: Endpoint[];
  updatedAt: string;
}
