// `corral router --join <controller-url> --token <join-token>`: a router of a farm on
// etcd. It joins for the store's endpoints and watches the published routes there, so
// it keeps routing while controllers come and go; live-endpoints.ts drops an endpoint
// the moment its VS status or its engine's registration goes, before the reconciler.

import type { AddressInfo } from 'node:net';
import { buildRouter, watchRoutes, type Router } from '../router/index.ts';
import { logger, type Logger } from '../lib/log.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { joinFarm } from './join.ts';
import { liveEndpoints } from './live-endpoints.ts';

export interface RouterNodeOptions {
  join: string;
  token: string;
  id: string;
  httpPort: number;
  host: string;
  log?: Logger;
}

export interface RouterNode {
  url: string;
  router: Router;
  store: Store;
  close(): Promise<void>;
}

export async function startRouterNode(opts: RouterNodeOptions): Promise<RouterNode> {
  const log = opts.log ?? logger('router');
  const joined = await joinFarm(opts.join, opts.token, 'router', opts.id);
  const store = await openEtcdStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
  const router = buildRouter({ log });
  try {
    const live = await liveEndpoints(store, router, log);
    const watch = await watchRoutes(store, live, log);
    await new Promise<void>((ok, fail) => {
      router.server.once('error', fail);
      router.server.listen(opts.httpPort, opts.host, () => ok());
    });
    const port = (router.server.address() as AddressInfo).port;
    let closed = false;
    return {
      url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`, router, store,
      async close() {
        if (closed) return;
        closed = true;
        watch.close();
        live.close();
        await router.close();
        await store.close();
      },
    };
  } catch (err) {
    await router.destroy();
    await store.close();
    throw err;
  }
}
