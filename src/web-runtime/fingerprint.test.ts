import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFingerprinted } from './fingerprint.ts';

test('fingerprinted: what build tools emit', () => {
  for (const name of [
    'app.3f9a1c2b.js', // webpack [name].[contenthash:8], Parcel, Vite < 5
    'assets/main.3f9a1c2b.css',
    'static/js/main.8b1a9953c4611296a827.js', // webpack's default 20 hex
    '_next/static/chunks/pages/index-4b3c2a1d0e9f8a7b.js', // Next.js
    '123.a1b2c3d4.js', // a numbered chunk
    'main-DK2x9Qa1.css', // Rollup / Vite 5+
    'assets/index-B7z_4Qp2.js',
    'logo.1a2b3c4d.svg',
    'font-Ab3dE5gH.woff2',
  ]) assert.equal(isFingerprinted(name), true, name);
});

test('not fingerprinted: plain names, versions, dates, words with numbers, a hash with no stem or not last', () => {
  for (const name of [
    'style.css', 'app.js', 'index.html', 'favicon.ico', 'robots.txt', 'Makefile', '.well-known',
    'jquery-3.7.1.min.js', 'bootstrap.bundle.min.js', 'font-awesome-4.7.0.css', 'favicon-32x32.png',
    'report-20240101.pdf', // digits only: a date
    'menu-cafe2024.pdf', 'img-face1234.png', 'deadbeef.js', 'x.deadbeef.js', // hex words
    'polyfills-legacy.js', 'vendor-react18dom.js', 'app-Vue3Demo.js', 'slides-Q4Report.pdf', 'lib-Web3Auth.js', // words
    'main-5CQMJQVS.js', 'invoice-INV00042.pdf', // upper-case only: esbuild's, or an id
    '3f9a1c2b.js', '-3f9a1c2b.js', // nothing before the hash
    'app.3f9a1c2b.min.js', 'app.3f9a1c2b.js.map', // the hash not last
    'app.3f9a1c2.js', 'main-DK2x9Qa.css', 'main-DK2x9Qa1b.css', // too short, or not Rollup's 8
    'app.3F9A1C2B.js', // upper-case hex
    'app.3f9a1c2b', // no extension: the part is the extension
  ]) assert.equal(isFingerprinted(name), false, name);
});
