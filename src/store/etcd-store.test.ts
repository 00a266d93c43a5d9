// The etcd store (etcd3's gRPC client): the cases both etcd stores run (etcd-cases.ts) —
// the shared contract against a real 1-member etcd, then what a cluster adds.

import { openEtcdStore } from './etcd-store.ts';
import { etcdStoreCases } from './etcd-cases.ts';

etcdStoreCases('etcd', openEtcdStore);
