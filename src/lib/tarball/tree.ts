// The archive as a tree of paths: refuses conflicting entries and entries beneath a symlink,
// and resolves every symlink through the archive's other symlinks to prove it stays inside.
import { TarballError, quote } from './errors.ts';

export type EntryKind = 'file' | 'directory' | 'symlink';

interface Node {
  /** The segment exactly as in the archive. */
  readonly name: string;
  /** The full normalised path, for messages. */
  readonly path: string;
  /** 'implied' when only seen as the parent of another entry. */
  kind: EntryKind | 'implied';
  target?: string;
  readonly children: Map<string, Node>;
}

interface LinkRecord {
  readonly node: Node;
  /** Root first, the link's own directory last. */
  readonly parents: readonly Node[];
  readonly entry: string;
}

const MAX_HOPS = 40; // Linux's MAXSYMLINKS
const RESOLVE_BUDGET = 1_000_000; // steps over all links; far above any real release

/**
 * Children are keyed by a folded name (case, Unicode compatibility forms and ignorable code
 * points folded), and two different names that fold alike are a conflict. So the archive
 * means the same thing on case-sensitive and case-insensitive file systems, and one model
 * suffices to reason about where links lead.
 */
export class ArchiveTree {
  readonly #root: Node = { name: '', path: '', kind: 'directory', children: new Map() };
  readonly #links: LinkRecord[] = [];

  /** Adds one validated entry; `segments` is non-empty. Throws on conflicts. */
  add(segments: readonly string[], kind: EntryKind, target: string | undefined, entry: string): void {
    const parents: Node[] = [this.#root];
    let dir = this.#root;
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      const found = dir.children.get(fold(segment));
      if (found !== undefined && found.name !== segment) {
        throw new TarballError('tarball_path_conflict', `entry ${quote(entry)} collides with ${quote(found.path)} (names differ only in case or Unicode form)`, { entry });
      }
      if (!last) {
        dir = found ?? this.#child(dir, segment, 'implied');
        if (dir.kind === 'symlink') throw throughLink(entry, dir);
        if (dir.kind === 'file') throw new TarballError('tarball_path_conflict', `entry ${quote(entry)} lies beneath the file ${quote(dir.path)}`, { entry });
        parents.push(dir);
        continue;
      }
      if (found === undefined) {
        const node = this.#child(dir, segment, kind);
        if (kind === 'symlink') {
          node.target = target;
          this.#links.push({ node, parents, entry });
        }
      } else if (found.kind === 'implied' && kind === 'directory') {
        found.kind = 'directory';
      } else if (found.kind === 'implied' && kind === 'symlink') {
        throw throughLink(firstDescendant(found), { path: found.path });
      } else if (!(found.kind === 'directory' && kind === 'directory')) {
        throw new TarballError('tarball_path_conflict', `entry ${quote(entry)} appears more than once, or is both a directory and a file`, { entry });
      }
    }
  }

  /** Follows every symlink through the archive; throws for one that leaves the root or loops. */
  checkLinks(): void {
    const budget = { steps: RESOLVE_BUDGET };
    for (const link of this.#links) {
      const why = resolve(link, budget);
      if (why !== undefined) throw new TarballError('tarball_link_escape', `symlink ${quote(link.entry)} ${why}`, { entry: link.entry });
    }
  }

  #child(dir: Node, name: string, kind: Node['kind']): Node {
    const node: Node = { name, path: dir.path === '' ? name : `${dir.path}/${name}`, kind, children: new Map() };
    dir.children.set(fold(name), node);
    return node;
  }
}

/**
 * Walks the link's target from the link's directory the way the kernel would, substituting
 * the archive's own symlinks wherever they appear. Components that are not in the archive
 * will not exist after extraction, so treating them as plain directories is conservative.
 * Returns why the link is unsafe, or undefined when it stays inside the root.
 */
function resolve(link: LinkRecord, budget: { steps: number }): string | undefined {
  const dirs: (Node | undefined)[] = [...link.parents];
  const pending = splitReversed(link.node.target ?? '');
  let hops = 0;
  while (pending.length > 0) {
    if (--budget.steps < 0) return 'could not be resolved: the archive\'s symlinks are too complex';
    const segment = pending.pop() as string;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (dirs.length === 1) return 'points outside the release root';
      dirs.pop();
      continue;
    }
    const found = dirs[dirs.length - 1]?.children.get(fold(segment));
    if (found !== undefined && found.name !== segment) return `refers to ${quote(found.path)} by a differently spelled name ${quote(segment)}`;
    if (found?.kind === 'symlink') {
      if (++hops > MAX_HOPS) return 'is part of a symlink loop';
      pending.push(...splitReversed(found.target ?? ''));
      continue;
    }
    dirs.push(found);
  }
  return undefined;
}

function splitReversed(target: string): string[] {
  return target.split('/').reverse();
}

/** One name per file-system meaning: folds case, compatibility forms and ignorable code points. */
function fold(name: string): string {
  // Plain ASCII (nearly every name) needs only lower-casing; the full fold is slower.
  if (/^[\x20-\x7e]*$/.test(name)) return name.toLowerCase();
  return name.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '').toUpperCase().toLowerCase();
}

function firstDescendant(node: Node): string {
  let n = node;
  while (n.children.size > 0) n = n.children.values().next().value as Node;
  return n.path;
}

function throughLink(entry: string, link: { path: string }): TarballError {
  return new TarballError('tarball_path_through_link', `entry ${quote(entry)} lies beneath the symlink ${quote(link.path)} from the same archive`, { entry });
}
