// Whether a file's name carries a hash of its content — a fingerprint, as build tools name
// their output (`app.3f9a1c2b.js`, `main-DK2x9Qa1.css`) — so that the name never stands for
// other bytes and browsers may keep the file a year without asking. Careful by design: a name
// taken for fingerprinted that is not would keep a changed file in browsers for a year, while a
// fingerprint missed costs only a revalidation (a 304). So only the last `.`- or `-`-separated
// part of the name before its extension, after a stem of its own, and only when it is
//   - 8 to 64 lower-case hex digits, at least one a digit and one a letter (webpack's
//     [contenthash], Parcel, Vite before 5, Next.js, create-react-app); under 12 of them, no four
//     letters in a row: `cafe2024` and `face1234` are words with a number;
//   - or exactly 8 base64url letters and digits (Rollup's and Vite 5+'s `[name]-[hash]`), at least
//     one a digit, one an upper-case and one a lower-case letter, and no three lower-case letters
//     in a row: `Vue3Demo` and `Q4Report` are words. About half of Rollup's hashes pass;
//     esbuild's upper-case ones (`main-5CQMJQVS.js`) never do, since `SUMMER24` looks the same.
// The name is the one asked for (a symlink's, not its target's: `app.js` → `app.3f9a1c2b.js`
// is a name that will lead elsewhere after the next deploy).

/** `name`: a file name or path as asked for (only its last segment counts). */
export function isFingerprinted(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return false; // no extension
  const stem = base.slice(0, dot);
  const cut = Math.max(stem.lastIndexOf('.'), stem.lastIndexOf('-'));
  if (cut <= 0) return false; // no part, or nothing before it
  const part = stem.slice(cut + 1);
  return isHexHash(part) || isBase64Hash(part);
}

function isHexHash(part: string): boolean {
  return /^[0-9a-f]{8,64}$/.test(part) && /[0-9]/.test(part) && /[a-f]/.test(part) && (part.length >= 12 || !/[a-f]{4}/.test(part));
}

function isBase64Hash(part: string): boolean {
  return /^[A-Za-z0-9_]{8}$/.test(part) && /[0-9]/.test(part) && /[A-Z]/.test(part) && /[a-z]/.test(part) && !/[a-z]{3}/.test(part);
}
