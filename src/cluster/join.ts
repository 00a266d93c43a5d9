// Joining a farm: trade a join token for what an engine or router needs — the shared
// store's endpoints, an engine token, and the controllers to fetch blobs from.

import { postJson } from '../lib/post-json.ts';
import { ClusterError } from './errors.ts';

export interface JoinAnswer {
  store: { kind: 'etcd'; endpoints: string[]; namespace?: string };
  /** An engine token: fetches blobs from the controllers, nothing else. */
  token: string;
  controllers: string[];
}

/**
 * Ask each controller URL in turn (comma-separated list allowed) until one answers. A
 * controller that cannot be reached, fails (5xx), redirects (not followed: give the URL it
 * names) or answers something that is not a join answer passes the ask to the next; a
 * refusal (400, 401) ends it.
 */
export async function joinFarm(controllerUrls: string, joinToken: string, role: 'engine' | 'router', id: string, opts: { timeoutMs?: number } = {}): Promise<JoinAnswer> {
  const urls = controllerUrls.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  let last = 'no controller URL given';
  for (const url of urls) {
    try {
      const res = await postJson(`${url}/v1/join`, { token: joinToken, role, id }, { timeoutMs: opts.timeoutMs ?? 5000 });
      const said = errorMessage(res.json) ?? `HTTP ${res.status}`;
      if (res.status === 401 || res.status === 400) throw new ClusterError('CLUSTER_JOIN_REFUSED', 401, `${url} refused to join: ${said}`);
      if (res.status !== 200) {
        last = `${url}: ${said}`;
        continue;
      }
      const problem = joinAnswerProblem(res.json);
      if (!problem) return res.json as JoinAnswer;
      last = `${url}: not a join answer (${problem})`;
    } catch (err) {
      if (err instanceof ClusterError) throw err;
      last = `${url}: ${(err as Error).message}`;
    }
  }
  throw new ClusterError('CLUSTER_JOIN_FAILED', 503, `could not join the farm (${last}); check the controller URL`);
}

/** The API's error message in an answer ({ error: { message } }), if it has one. */
function errorMessage(json: unknown): string | undefined {
  const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Why json is not a join answer this node can use, or undefined when it is. */
function joinAnswerProblem(json: unknown): string | undefined {
  const a = json as Partial<Record<keyof JoinAnswer, unknown>> | undefined;
  if (typeof a !== 'object' || a === null) return 'not a JSON object';
  const store = a.store as { kind?: unknown; endpoints?: unknown; namespace?: unknown } | undefined;
  if (typeof store !== 'object' || store === null || store.kind !== 'etcd') return 'store.kind is not etcd';
  if (!isUrls(store.endpoints) || store.endpoints.length === 0) return 'store.endpoints is not a list of URLs';
  if (store.namespace !== undefined && typeof store.namespace !== 'string') return 'store.namespace is not a string';
  if (typeof a.token !== 'string' || a.token === '') return 'token missing';
  if (!isUrls(a.controllers)) return 'controllers is not a list of URLs';
  return undefined;
}

const isUrls = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && URL.canParse(x.includes('://') ? x : `http://${x}`));
