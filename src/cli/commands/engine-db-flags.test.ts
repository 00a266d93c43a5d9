import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dbOptions } from './engine.ts';

const defaults = { dbPort: '5433', dbApiPort: '8008' };

it('corral engine: --db runs a member and forwards on 5432; --db-forward-port alone only forwards; neither, nothing', () => {
  assert.equal(dbOptions(defaults), undefined);
  assert.deepEqual(dbOptions({ ...defaults, db: true }), { forwardPort: 5432, member: { pgPort: 5433, apiPort: 8008 } });
  assert.deepEqual(dbOptions({ ...defaults, dbForwardPort: '6432', dbForwardHost: '10.0.0.9' }), { forwardPort: 6432, forwardHost: '10.0.0.9' });
});

it('corral engine: bad database flags fail with the flag named', () => {
  assert.throws(() => dbOptions({ ...defaults, dbForwardHost: '10.0.0.9' }), /--db-forward-host needs --db or --db-forward-port/);
  assert.throws(() => dbOptions({ ...defaults, db: true, dbPort: '70000' }), /--db-port must be a port number/);
  assert.throws(() => dbOptions({ ...defaults, dbForwardPort: 'x' }), /--db-forward-port must be a port number/);
});
