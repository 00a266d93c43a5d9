// A role's default id from the machine's hostname (`corral up`'s engine, `corral engine`,
// `corral router`, `corral controller` without --id): lower case, every character but
// a-z, 0-9 and `-` made a `-` (so dots too), cut to maxLength, leading dashes dropped
// (an id starts with a letter or digit: model patterns.label). A hostname that leaves
// nothing (empty, all non-ASCII or punctuation) gives the fallback. Ids already in use
// keep their value: only hostnames that gave an invalid id before give another now.
import { hostname } from 'node:os';

/** The longest id made from a hostname by default. */
export const HOST_ID_MAX = 40;

/** This machine's id for a role: hostId('engine'). */
export function hostId(fallback: string, maxLength = HOST_ID_MAX): string {
  return idFromHostname(hostname(), fallback, maxLength);
}

/** The id a hostname gives (see the header); `fallback` when it gives none. */
export function idFromHostname(name: string, fallback: string, maxLength = HOST_ID_MAX): string {
  const id = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, maxLength).replace(/^-+/, '');
  return id === '' ? fallback : id;
}
