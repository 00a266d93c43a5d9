// corral router --url / --https-url: where other hosts reach the router (its record), checked at start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { httpUrl } from './router.ts';

test('--url takes scheme://host[:port] only, and gives it back without a trailing slash', () => {
  assert.equal(httpUrl('http://10.0.0.5:8080/', '--url', 'http:'), 'http://10.0.0.5:8080');
  assert.equal(httpUrl('https://edge.example', '--https-url', 'https:'), 'https://edge.example');
  for (const [bad, why] of [['10.0.0.5:8080', /not a URL|must be http:/], ['nope', /not a URL/], ['https://x.example', /must be http:/], ['http://x.example/path', /nothing more/], ['http://u:p@x.example', /nothing more/]] as const) {
    assert.throws(() => httpUrl(bad, '--url', 'http:'), (err: unknown) => err instanceof CliError && /^--url: /.test(err.message) && why.test(err.message), bad);
  }
});
