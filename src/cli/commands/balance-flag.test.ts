import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceCheck, BALANCE_POLICIES } from '../../model/index.ts';
import { BALANCE_HELP, balanceBody } from './balance-flag.ts';

test('--balance and --weight become the API balance object', () => {
  assert.deepEqual(balanceBody('least-conn', []), { policy: 'least-conn' });
  assert.deepEqual(balanceBody('sticky', []), { policy: 'sticky' });
  assert.deepEqual(balanceBody('sticky:sid', []), { policy: 'sticky', key: 'sid' });
  assert.deepEqual(balanceBody('hash:ip', []), { policy: 'hash', hashOn: 'ip' });
  assert.deepEqual(balanceBody('hash:header:x-user', []), { policy: 'hash', hashOn: 'header', key: 'x-user' });
  assert.deepEqual(balanceBody('weighted', ['big=5', 'small=1']), { policy: 'weighted', weights: { big: 5, small: 1 } });
  assert.throws(() => balanceBody('fastest', []), /--balance must be one of/);
  assert.throws(() => balanceBody('hash:header', []), /hash needs ip, header:NAME or cookie:NAME/);
  assert.throws(() => balanceBody('round-robin', ['a=1']), /--weight goes with --balance weighted/);
  assert.throws(() => balanceBody('weighted', ['a']), /--weight must be ENGINE=N/);
});

test('--balance takes every policy the model names, and the model\'s schema accepts what it builds', () => {
  const parts: Record<string, string> = { hash: ':ip' };
  for (const policy of BALANCE_POLICIES) {
    assert.ok(BALANCE_HELP.includes(policy), `${policy} in the help`);
    const body = balanceBody(`${policy}${parts[policy] ?? ''}`, []);
    assert.equal(body.policy, policy);
    assert.equal(balanceCheck.problem(body), undefined, policy);
  }
});
