import path from 'node:path';
import { remembered } from '../engine/remember.js';
import type { DeepReadonly, Mount } from './types.js';

/**
 * Helpers the mount-writing plugins share (volumes, tmpfs, shm, cgroup mount, privileged, rootless): path
 * normalisation, "is a mount already at this destination", and docker's option merging.
 */

/**
 * `/data/` → `/data`, `/a/./b/../c` → `/a/c`. Only for absolute container paths. Remembered: this runs for every
 * mount of every service, often several times (mountIndex compares against each mount).
 */
export const cleanDestination: (dest: string) => string = remembered((dest) => {
  // An absolute path with no `//`, no `.`/`..` segment (they always follow a `/`) and no trailing `/` is already
  // what normalize returns.
  if (dest.charCodeAt(0) === 47 /* / */ && !dest.includes('//') && !dest.includes('/.') && (dest.length === 1 || !dest.endsWith('/'))) return dest;
  const p = path.posix.normalize(dest);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
});

/** Index of the mount whose (cleaned) destination is `dest`, or -1. The last one wins, as in the kernel. */
export function mountIndex(mounts: ReadonlyArray<DeepReadonly<Mount>> | undefined, dest: string): number {
  const want = cleanDestination(dest);
  const list = mounts ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    // Cleaning only ever shortens a path ('' aside, which becomes '.'), so a destination no longer than `want`
    // matches only as it is: most mounts are ruled out without cleaning them.
    const d = list[i]!.destination;
    if (d === want || ((d.length > want.length || d.length === 0) && cleanDestination(d) === want)) return i;
  }
  return -1;
}

/** Number of path components: `/` → 0, `/a` → 1, `/a/b` → 2. */
export function pathDepth(dest: string): number {
  return cleanDestination(dest).split('/').filter(Boolean).length;
}

/** `/a` is an ancestor of `/a/b` (not of `/ab`, not of itself). */
export function isAncestor(parent: string, child: string): boolean {
  return isCleanAncestor(cleanDestination(parent), cleanDestination(child));
}

/** `isAncestor` for paths already through `cleanDestination` (callers comparing many pairs clean each once). */
export function isCleanAncestor(p: string, c: string): boolean {
  if (p === c) return false;
  // `c` starts with `p/`, tested without building the string `p + '/'`.
  return p === '/' || (c.length > p.length && c.charCodeAt(p.length) === 47 /* / */ && c.startsWith(p));
}

/**
 * Flags that come in pairs; the later one wins (`noexec` then `exec` → `exec`), the way docker merges tmpfs
 * options (`mount.MergeTmpfsOptions`). Keys of `key=value` options also keep only their last value.
 */
const FLAG_PAIRS = new Map<string, string>(Object.entries({
  exec: 'exec', noexec: 'exec',
  suid: 'suid', nosuid: 'suid',
  dev: 'dev', nodev: 'dev',
  ro: 'rw', rw: 'rw',
  atime: 'atime', noatime: 'atime',
  diratime: 'diratime', nodiratime: 'diratime',
  relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  sync: 'sync', async: 'sync',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
}));

function optionKey(opt: string): string {
  const eq = opt.indexOf('=');
  if (eq >= 0) return opt.slice(0, eq + 1);
  return FLAG_PAIRS.get(opt) ?? opt;
}

/** Merge option lists: later options override earlier ones of the same kind; first position is kept. */
export function mergeMountOptions(...lists: ReadonlyArray<readonly string[]>): string[] {
  // Parallel arrays, not a Map: option lists are a handful of entries, and this runs for mounts of every service.
  const keys: string[] = [];
  const values: string[] = [];
  for (const list of lists) {
    for (const opt of list) {
      const key = optionKey(opt);
      const at = keys.indexOf(key);
      if (at < 0) {
        keys.push(key);
        values.push(opt);
      } else values[at] = opt;
    }
  }
  return values;
}

/** Docker's tmpfs defaults (`--tmpfs`, `--mount type=tmpfs`): no exec, no setuid, no device nodes. */
export const TMPFS_DEFAULT_OPTIONS: readonly string[] = Object.freeze(['noexec', 'nosuid', 'nodev']);

/** Octal mode for mount options: 0o1777 → `1777`. */
export function octal(mode: number): string {
  return mode.toString(8);
}

/**
 * The op that puts a user mount into the spec: a mount the engine set up at the same destination (the base
 * `/dev/shm`, …) is replaced in place, keeping its position; otherwise the mount is appended. Several calls
 * within one plugin are safe: appends never shift the indexes a replace points at.
 */
export function placeMount(mounts: ReadonlyArray<DeepReadonly<Mount>> | undefined, mount: Mount): { op: 'add' | 'replace'; path: string; value: Mount } {
  const at = mountIndex(mounts, mount.destination);
  return at >= 0 ? { op: 'replace', path: `/mounts/${at}`, value: mount } : { op: 'add', path: '/mounts/-', value: mount };
}
