import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { CtnrError } from '../engine/errors.js';
import { displayName } from './tar.js';

/**
 * Path resolution inside a root filesystem being unpacked, with chroot semantics: `..` stops at the root,
 * absolute names and absolute symlink targets start at the root, and every symlink met on the way is followed
 * *inside* the root. Only parent directories are resolved; the last component is never followed (an entry
 * replaces a symlink, it does not write through it). This is what containerd's `fs.RootPath` and umoci's
 * `securejoin` do, and what stops a lower layer's `etc/x -> /host/dir` from carrying an upper layer's
 * `etc/x/owned` onto the host.
 *
 * All paths here are byte strings (see tar.ts); `fsPath` turns one into what node:fs takes.
 */

/** Linux gives up after 40 links; be as generous as filepath-securejoin (255). */
const MAX_LINKS = 255;

export const fsPath = (byteString: string): Buffer => Buffer.from(byteString, 'latin1');

export function lstatOrUndefined(p: string): Stats | undefined {
  // No exception for a missing file: most entries of a layer are new files, and throwing is what costs.
  return lstatSync(fsPath(p), { throwIfNoEntry: false });
}

/** Components of a name after cleaning: no empty parts, no `.`, and `..` applied but never above the root. */
export function cleanComponents(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

export interface Resolved {
  /** Host path of the entry: the resolved parent joined with the last component as written. */
  path: string;
  /** Host path of the parent directory. */
  parent: string;
  /** Host paths of parent directories that do not exist yet, outermost first (the caller creates them). */
  missing: string[];
  /** The last component (empty when the name is the root itself). */
  base: string;
}

export const joinHost = (root: string, components: readonly string[]) => (components.length === 0 ? root : `${root}/${components.join('/')}`);

/**
 * Resolve `components` (already cleaned) below `root`. The parent components are followed through symlinks
 * inside the root; a parent that exists but is not a directory is an error (as for tar itself).
 *
 * `knownDirs` (host paths) spares the lstat of directories already seen: a layer names the same parents
 * thousands of times. Whoever removes or replaces anything must clear it.
 */
export function resolveInRoot(root: string, components: readonly string[], entryName: string, knownDirs?: Set<string>): Resolved {
  if (components.length === 0) return { path: root, parent: root, missing: [], base: '' };
  const todo = components.slice(0, -1);
  const base = components[components.length - 1]!;
  const resolved: string[] = [];
  /** Index in `resolved` from which the directories do not exist. */
  let missingFrom = -1;
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      if (missingFrom >= resolved.length) missingFrom = -1;
      continue;
    }
    if (missingFrom !== -1) {
      resolved.push(part);
      continue;
    }
    const host = joinHost(root, [...resolved, part]);
    if (knownDirs?.has(host)) {
      resolved.push(part);
      continue;
    }
    const st = lstatOrUndefined(host);
    if (st === undefined) {
      missingFrom = resolved.length;
      resolved.push(part);
    } else if (st.isDirectory()) {
      resolved.push(part);
      knownDirs?.add(host);
    } else if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new CtnrError('IMAGE_UNPACK', `${displayName(entryName)}: too many levels of symbolic links`);
      const target = readlinkSync(fsPath(host), { encoding: 'buffer' }).toString('latin1');
      if (target.startsWith('/')) resolved.length = 0;
      todo.unshift(...target.split('/'));
    } else {
      throw new CtnrError('IMAGE_UNPACK', `${displayName(entryName)}: /${displayName([...resolved, part].join('/'))} is not a directory`);
    }
  }
  const parent = joinHost(root, resolved);
  const missing = missingFrom === -1 ? [] : resolved.slice(missingFrom).map((_, i) => joinHost(root, resolved.slice(0, missingFrom + i + 1)));
  return { path: `${parent}/${base}`, parent, missing, base };
}
