import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table, visible } from './table.ts';

test('a listing shows control characters as \\xNN, never raw: an escape sequence in a cell (a customer-chosen name) cannot reach the terminal', () => {
  const osc52 = 'ci\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[2J\u009b';
  assert.equal(visible(osc52), 'ci\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b[2J\\x9b');
  const out = table(['NAME', 'WHO'], [['ci', osc52]]);
  assert.deepEqual(out.split('\n'), ['NAME  WHO', 'ci    ci\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b[2J\\x9b']);
  assert.equal(visible('plain text, ünïcode ✓'), 'plain text, ünïcode ✓');
});
