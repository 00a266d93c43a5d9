// Talking to a farm's API from tests: JSON calls with a token, a static site deployed
// from examples/static-site, and the site's replica picture.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { packDirectory } from '../../src/lib/tarball.ts';
import { REPO } from './farm-process.ts';
import { waitFor } from '../../src/lib/wait.ts';

export interface Api {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

/** An API client that tries each controller URL in turn (any of them serves the API). */
export function apiOf(urls: () => string[], token: string): Api {
  return {
    async call(method, path, body) {
      let last: unknown;
      for (const url of urls()) {
        try {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(10_000),
          });
          const text = await res.text();
          return { status: res.status, json: (text ? JSON.parse(text) : {}) as never };
        } catch (err) {
          last = err;
        }
      }
      throw last instanceof Error ? last : new Error('no controller answered');
    },
  };
}

/** Upload examples/static-site as a release of `site` to the controller at url. */
export async function uploadStaticExample(url: string, token: string, site: string): Promise<{ status: number; body: string }> {
  const out = join(tmpdir(), `corral-release-${randomUUID()}.tar.gz`);
  try {
    await packDirectory(join(REPO, 'examples', 'static-site'), out);
    const body = await readFile(out);
    const res = await fetch(`${url}/v1/sites/${site}/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body,
    });
    return { status: res.status, body: await res.text() };
  } finally {
    await rm(out, { force: true });
  }
}

export interface SiteReplicas {
  ready: number;
  /** Engines of the ready replicas of the active release. */
  readyOn: string[];
  all: { vs: string; engine: string; state?: string }[];
}

export async function siteReplicas(api: Api, site: string): Promise<SiteReplicas> {
  const { json } = await api.call<{ release?: string; virtualServers: { vs: string; engine: string; state?: string; release: string }[] }>('GET', `/v1/sites/${site}/status`);
  const ready = (json.virtualServers ?? []).filter((v) => v.release === json.release && v.state === 'ready');
  return { ready: ready.length, readyOn: ready.map((v) => v.engine), all: json.virtualServers ?? [] };
}

/** Wait until `replicas` replicas of site are ready, none of them on `gone` (the engine that died). */
export async function replacedOff(api: Api, site: string, gone: string, replicas: number, opts: { timeoutMs: number; intervalMs: number }): Promise<void> {
  await waitFor(
    async () => {
      const r = await siteReplicas(api, site);
      return r.ready === replicas && !r.readyOn.includes(gone);
    },
    { what: `${replicas} ready replicas of ${site} off ${gone}`, ...opts },
  );
}
