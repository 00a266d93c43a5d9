// Table mode (a pooled static VS): the sites come from a JSON file the engine rewrites
// (atomically, by rename) while the server runs:
//   { "version": 7, "sites": [{ "site": "blog", "release": "v2", "domains": ["blog.test"], "root": "<sha256>", "spa": true }] }
// `root` is relative to the table's directory and must stay inside it, also once symlinks
// are resolved; every site lists its domains and no domain is listed twice. A table that
// breaks any rule is refused whole (WebTableError): the caller keeps its old one.

import fs from 'node:fs/promises';
import path from 'node:path';
import { parseSites, type WebSite } from './config.ts';
import { WebConfigError, WebTableError } from './errors.ts';

export interface TableSite extends WebSite {
  readonly site: string;
  readonly release: string;
}

export interface SiteTable {
  readonly version: number;
  readonly sites: readonly TableSite[];
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
// eslint-disable-next-line no-control-regex -- one line of text: no control characters
const RELEASE = /^[^\u0000-\u001f\u007f]{1,256}$/;
const KEYS = new Set(['site', 'release', 'domains', 'root', 'spa']);

/** Read, parse and check the table file; roots are checked on disk (real paths inside the table's directory). */
export async function loadTable(file: string): Promise<SiteTable> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new WebTableError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const table = parseTable(text, path.dirname(path.resolve(file)));
  await checkRealRoots(table, path.dirname(path.resolve(file)));
  return table;
}

/** The table in `text`, its roots made absolute under `dir`; throws WebTableError. */
export function parseTable(text: string, dir: string): SiteTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WebTableError(`not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new WebTableError('the table must be an object { version, sites }.');
  const { version, sites } = value;
  if (!Number.isSafeInteger(version) || (version as number) < 0) throw new WebTableError('version must be a non-negative integer.');
  if (!Array.isArray(sites)) throw new WebTableError('sites must be an array.');
  const entries = sites.map((s, i) => tableSite(s, i, dir));
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.site)) throw new WebTableError(`site "${e.site}" is listed twice.`);
    names.add(e.site);
  }
  let checked: readonly WebSite[] = [];
  try {
    if (entries.length > 0) checked = parseSites(entries.map((e) => ({ domains: e.domains, root: e.root, ...(e.spa !== undefined ? { spa: e.spa } : {}) })));
  } catch (err) {
    throw new WebTableError(err instanceof WebConfigError ? err.message : String(err));
  }
  return Object.freeze({
    version: version as number,
    sites: Object.freeze(entries.map((e, i) => Object.freeze({ site: e.site, release: e.release, domains: checked[i]!.domains, root: checked[i]!.root, spa: checked[i]!.spa }))),
  });
}

function tableSite(v: unknown, i: number, dir: string): { site: string; release: string; domains: string[]; root: string; spa?: unknown } {
  const where = `sites[${i}]`;
  if (!isObject(v)) throw new WebTableError(`${where} must be an object { site, release, domains, root }.`);
  const unknown = Object.keys(v).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) throw new WebTableError(`${where} has unknown key(s): ${unknown.join(', ')}.`);
  const { site, release, domains, root, spa } = v;
  if (typeof site !== 'string' || !NAME.test(site)) throw new WebTableError(`${where}.site must be a site name.`);
  if (typeof release !== 'string' || !RELEASE.test(release)) throw new WebTableError(`${where}.release must be one line of text.`);
  if (!Array.isArray(domains) || domains.length === 0 || !domains.every((d) => typeof d === 'string' && d.length > 0)) {
    throw new WebTableError(`${where}.domains must be a non-empty array of host names.`);
  }
  if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) throw new WebTableError(`${where}.root must be a path inside the table's directory.`);
  const abs = path.resolve(dir, root);
  if (!inside(dir, abs)) throw new WebTableError(`${where}.root "${root}" is outside the table's directory.`);
  return { site, release, domains: domains as string[], root: abs, ...(spa !== undefined ? { spa } : {}) };
}

async function checkRealRoots(table: SiteTable, dir: string): Promise<void> {
  const realDir = await fs.realpath(dir);
  for (const s of table.sites) {
    let real: string;
    try {
      real = await fs.realpath(s.root);
    } catch {
      throw new WebTableError(`the root of site "${s.site}" does not exist.`);
    }
    if (!inside(realDir, real)) throw new WebTableError(`the root of site "${s.site}" leads outside the table's directory.`);
    if (!(await fs.stat(real)).isDirectory()) throw new WebTableError(`the root of site "${s.site}" is not a directory.`);
  }
}

/** child is strictly below dir (not dir itself). */
function inside(dir: string, child: string): boolean {
  const rel = path.relative(dir, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
