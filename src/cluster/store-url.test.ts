import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseStoreUrl } from './store-url.ts';

it('parses etcd://host:port lists with an optional namespace, and refuses anything else clearly', () => {
  assert.deepEqual(parseStoreUrl('etcd://h1:2379,10.0.0.2:2379'), { endpoints: ['http://h1:2379', 'http://10.0.0.2:2379'] });
  assert.deepEqual(parseStoreUrl('etcd://h1:2379/farm-a/'), { endpoints: ['http://h1:2379'], namespace: '/farm-a' });
  for (const bad of ['http://h1:2379', 'etcd://', 'etcd://h1', 'etcd://h1:2379,', 'sqlite:///x']) {
    assert.throws(() => parseStoreUrl(bad), { code: 'CLUSTER_BAD_STORE_URL' }, bad);
  }
});
