// The database cluster's passwords (superuser, replication, rewind), made once per farm:
// the first engine or controller to need them creates them (create-if-absent in one
// transaction); everyone else reads the same ones. They live in the farm's store, which
// is on the farm's private network (see the README on etcd access).

import { randomBytes } from 'node:crypto';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import type { DbSecrets } from './patroni-config.ts';

export async function ensureDbSecrets(store: Store): Promise<DbSecrets> {
  const fresh: DbSecrets = { superuser: password(), replication: password(), rewind: password(), restapi: password() };
  const res = await store.txn({
    compare: [{ key: keys.dbSecrets, target: 'version', op: '=', value: 0 }],
    success: [{ type: 'put', key: keys.dbSecrets, value: JSON.stringify(fresh) }],
    failure: [{ type: 'get', key: keys.dbSecrets }],
  });
  if (res.succeeded) return fresh;
  return JSON.parse(res.gets[0]?.value ?? '{}') as DbSecrets;
}

function password(): string {
  return randomBytes(24).toString('base64url');
}
