import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REDIRECT_LINE_BYTES, MAX_REDIRECT_RULES, parseRedirects, RedirectsError } from './redirects.ts';

/** The answer for a request path as the web runtime parses it (segments, trailing slash, query). */
function answer(text: string, path: string, search = '') {
  const segments = decodeURIComponent(path).split('/').filter((s) => s !== '');
  return parseRedirects(text).match(segments, path.endsWith('/') && segments.length > 0, search);
}

function refused(text: string, line: number | undefined, mentions: RegExp): void {
  assert.throws(() => parseRedirects(text), (err: unknown) => {
    assert.ok(err instanceof RedirectsError, String(err));
    assert.equal(err.code, 'redirects_invalid');
    assert.equal(err.status, 400);
    assert.equal(err.line, line, err.message);
    if (line !== undefined) assert.match(err.message, new RegExp(`^_redirects line ${line}: `));
    assert.match(err.message, mentions);
    return true;
  }, JSON.stringify(text.slice(0, 80)));
}

test('rules: exact paths (a trailing slash aside), 301 by default, comments and blank lines skipped', () => {
  const text = '# moved pages\n\n/old /new\r\n  /tmp   /temporary   302  \n/gone\t/\t308!\n';
  assert.deepEqual(answer(text, '/old'), { status: 301, location: '/new' });
  assert.deepEqual(answer(text, '/old/'), { status: 301, location: '/new' });
  assert.deepEqual(answer(text, '/tmp'), { status: 302, location: '/temporary' });
  assert.deepEqual(answer(text, '/gone'), { status: 308, location: '/' });
  assert.equal(answer(text, '/older'), undefined);
  assert.equal(answer(text, '/old/page'), undefined, 'an exact rule matches that path alone');
  assert.equal(answer(text, '/'), undefined);
});

test('splat: /* matches the path and all below it; :splat is the rest, encoded; the query is passed on', () => {
  const text = '/blog/* /news/:splat 301\n/docs/* https://docs.example.com/v2/:splat 302\n/* /fallback 307';
  assert.deepEqual(answer(text, '/blog/2024/hello/'), { status: 301, location: '/news/2024/hello/' });
  assert.deepEqual(answer(text, '/blog'), { status: 301, location: '/news/' });
  assert.deepEqual(answer(text, '/blog/caf%C3%A9 x'), { status: 301, location: '/news/caf%C3%A9%20x' });
  assert.deepEqual(answer(text, '/docs/api', '?q=1'), { status: 302, location: 'https://docs.example.com/v2/api?q=1' });
  assert.deepEqual(answer(text, '/anything/else'), { status: 307, location: '/fallback' }, '/* matches every path');
  assert.deepEqual(answer('/a /b?x=1#top', '/a', '?q=2'), { status: 301, location: '/b?x=1#top' }, 'a target with its own query keeps it');
  assert.deepEqual(answer('/a /b#top', '/a', '?q=2'), { status: 301, location: '/b?q=2#top' });
});

test('the first matching rule in the file wins, exact or splat', () => {
  assert.deepEqual(answer('/shop/* /store/:splat\n/shop/cart /basket', '/shop/cart'), { status: 301, location: '/store/cart' });
  assert.deepEqual(answer('/shop/cart /basket\n/shop/* /store/:splat', '/shop/cart'), { status: 301, location: '/basket' });
  assert.deepEqual(answer('/a /first\n/a /second', '/a'), { status: 301, location: '/first' });
});

test('targets never leave the site unless absolute: percent-encoded, and a request path cannot make one start with //', () => {
  assert.deepEqual(answer('/x /caf\u00e9', '/x'), { status: 301, location: '/caf%C3%A9' });
  assert.deepEqual(answer('/x https://b\u00fccher.example/p', '/x'), { status: 301, location: 'https://xn--bcher-kva.example/p' });
  // "//evil.example" in a request collapses to one slash before it is a splat
  assert.deepEqual(answer('/go/* /:splat', '/go//evil.example'), { status: 301, location: '/evil.example' });
  assert.deepEqual(answer('/go/* /:splat', '/go/%2F%2Fevil.example'), { status: 301, location: '/evil.example' });
});

test('hostile and malformed files are refused, naming the line', () => {
  refused('/a /b\n/c /d 404', 2, /301, 302, 307 or 308/);
  refused('/a /b 200', 1, /rewrite.*--spa/);
  refused('/a /b 3011', 1, /status/);
  refused('/a /b\rSet-Cookie: x=1', 1, /control character/);
  refused('/a /b\u0000', 1, /control character/);
  refused('/a /b 301\n/c /d\r\nLocation: https://evil.example', 3, /"from" must be a path/);
  refused(`/a /${'x'.repeat(MAX_REDIRECT_LINE_BYTES)}`, 1, /longer than 1024 bytes/);
  refused(Array.from({ length: MAX_REDIRECT_RULES + 1 }, (_, i) => `/p${i} /q`).join('\n'), MAX_REDIRECT_RULES + 1, /more than 1000 rules/);
  refused('/a', 1, /from to \[status\]/);
  refused('/a /b 301 Country=us', 1, /conditions/);
  refused('old /new', 1, /"from" must be a path/);
  refused('/a?x=1 /b', 1, /query/);
  refused('/a/*/b /c', 1, /\* only as its last segment/);
  refused('/a/:slug /b/:slug', 1, /placeholders/);
  refused('/a/../b /c', 1, /normalised/);
  refused('/.env /x', 1, /dotfile/);
  refused('/a%zz /b', 1, /percent-encoding/);
  refused('/a //evil.example', 1, /"to" must be a path in the site/);
  refused('/a /\\evil.example', 1, /"to" must be a path in the site/);
  refused('/a javascript:alert(1)', 1, /"to" must be a path in the site/);
  refused('/a evil.example', 1, /"to" must be a path in the site/);
  refused('/a https://', 1, /not a valid URL/);
  refused('/x/* http://:splat@good.example/', 1, /user name or password/); // else /x/evil.example/y would send browsers to evil.example
  refused('/a https://user:pw@good.example/', 1, /user name or password/);
  refused('/a /b/:splat', 1, /:splat.*\/\*/);
  refused('x'.repeat(1024 * 1024 + 1), undefined, /larger than 1024 KiB/);
});

test('the limits are the documented ones, and a file at them is taken', () => {
  const full = Array.from({ length: MAX_REDIRECT_RULES }, (_, i) => `/p${i} /q${i}`).join('\n');
  assert.equal(parseRedirects(full).size, 1000);
  assert.equal(parseRedirects(`/a /${'x'.repeat(MAX_REDIRECT_LINE_BYTES - 4)}`).size, 1);
  assert.equal(parseRedirects('# only comments\n\n').size, 0);
});
