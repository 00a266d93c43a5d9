// --max-release-size / --max-release-unpacked: sizes in bytes or with a binary unit, within
// their bounds; a bad value is refused in one line naming the flag, and an unpacked limit
// below the compressed one is refused too (no release that large could unpack).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { releaseSizes } from './release-size-flags.ts';
import { sizeBytes, sizeText } from './size.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

test('sizeBytes: bytes, or a number with K/M/G/T (KiB, MB …, any case), powers of 1024', () => {
  assert.equal(sizeBytes('1048576'), MiB);
  assert.equal(sizeBytes('300M'), 300 * MiB);
  assert.equal(sizeBytes('300m'), 300 * MiB);
  assert.equal(sizeBytes('300MiB'), 300 * MiB);
  assert.equal(sizeBytes('300MB'), 300 * MiB);
  assert.equal(sizeBytes('2G'), 2 * GiB);
  assert.equal(sizeBytes('1.5G'), 1.5 * GiB);
  assert.equal(sizeBytes('64K'), 64 * 1024);
  assert.equal(sizeBytes('1T'), 1024 * GiB);
  assert.equal(sizeBytes('512B'), 512);
  for (const bad of ['', 'M', '1.5', '-1M', '+1M', ' 1M', '1M ', '1 M', '1X', '1e3', '0x10', '1,5G', '1MiBs', '99999999999T']) {
    assert.equal(sizeBytes(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(sizeText(300 * MiB), '300M');
  assert.equal(sizeText(GiB), '1G');
  assert.equal(sizeText(1536 * 1024), '1536K');
  assert.equal(sizeText(1000), '1000');
});

test('releaseSizes: both limits in bytes; the defaults are 100M and 1G', () => {
  assert.deepEqual(releaseSizes({ maxReleaseSize: '100M', maxReleaseUnpacked: '1G' }), { maxReleaseBytes: 100 * MiB, maxUnpackedBytes: GiB });
  assert.deepEqual(releaseSizes({ maxReleaseSize: '300M', maxReleaseUnpacked: '3G' }), { maxReleaseBytes: 300 * MiB, maxUnpackedBytes: 3 * GiB });
  assert.deepEqual(releaseSizes({ maxReleaseSize: '1024', maxReleaseUnpacked: '2048' }), { maxReleaseBytes: 1024, maxUnpackedBytes: 2048 });
});

test('releaseSizes refuses words, zero, out-of-range sizes and an unpacked limit below the compressed one, naming the flag', () => {
  const refused = (o: { maxReleaseSize: string; maxReleaseUnpacked: string }, message: RegExp) =>
    assert.throws(() => releaseSizes(o), (e: unknown) => e instanceof CliError && message.test(e.message), JSON.stringify(o));
  for (const bad of ['lots', '0', '1000', '-5M', '17G', '1.5', '']) {
    refused({ maxReleaseSize: bad, maxReleaseUnpacked: '1T' }, new RegExp(`^--max-release-size must be a size from 1K to 16G: bytes, or a number with a unit \\(K, M, G, T: 300M, 1\\.5G\\), got "${bad.replace(/[.+]/g, '\\$&')}"$`));
  }
  for (const bad of ['big', '0', '2T']) {
    refused({ maxReleaseSize: '1M', maxReleaseUnpacked: bad }, new RegExp(`^--max-release-unpacked must be a size from 1K to 1T: .*got "${bad}"$`));
  }
  refused({ maxReleaseSize: '2G', maxReleaseUnpacked: '1G' }, /^--max-release-unpacked \(1G\) is less than --max-release-size \(2G\): a release that large could not unpack; raise --max-release-unpacked too$/);
});
