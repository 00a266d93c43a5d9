// Joining a farm: trade a join token for what an engine or router needs — the shared
// store's endpoints, an engine token, and the controllers to fetch blobs from.

import { ClusterError } from './errors.ts';

export interface JoinAnswer {
  store: { kind: 'etcd'; endpoints: string[]; namespace?: string };
  /** An engine token: fetches blobs from the controllers, nothing else. */
  token: string;
  controllers: string[];
}

/** Ask each controller URL in turn (comma-separated list allowed) until one answers. */
export async function joinFarm(controllerUrls: string, joinToken: string, role: 'engine' | 'router', id: string): Promise<JoinAnswer> {
  const urls = controllerUrls.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  let last = 'no controller URL given';
  for (const url of urls) {
    try {
      const res = await fetch(`${url}/v1/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: joinToken, role, id }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as JoinAnswer & { error?: { message: string } };
      if (res.ok) return body;
      if (res.status === 401 || res.status === 400) throw new ClusterError('CLUSTER_JOIN_REFUSED', 401, `${url} refused to join: ${body.error?.message ?? res.status}`);
      last = `${url}: ${body.error?.message ?? res.status}`;
    } catch (err) {
      if (err instanceof ClusterError) throw err;
      last = `${url}: ${(err as Error).message}`;
    }
  }
  throw new ClusterError('CLUSTER_JOIN_FAILED', 503, `could not join the farm (${last}); check the controller URL`);
}
