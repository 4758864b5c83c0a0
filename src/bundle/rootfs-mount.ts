import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { currentUserIdMapping } from '../image/idmap.js';
import type { IdMapping } from '../image/types.js';

/**
 * A bundle made from a stored image can use the image store's unpacked root filesystem as the lower layer of
 * an overlay mount at `<bundle>/rootfs` (the container's changes go to `<bundle>/overlay/upper`), so a bundle
 * costs no copy. The mount belongs to the bundle: every path that removes a bundle unmounts it first
 * (removeBundleTree), and the image store keeps a cache while a mounted bundle uses it.
 */

export const ROOTFS_DIR = 'rootfs';
export const OVERLAY_DIR = 'overlay';

/** Mount points of this process's namespace (mountinfo field 5, octal escapes decoded). */
function mountPoints(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
}

export function isMountPoint(dir: string): boolean {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return false;
  }
  return mountPoints().includes(real);
}

/** Lower directories of the overlay mounts in this namespace (what a prune must keep). */
export function overlayLowerDirs(): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /\boverlay\b.*\blowerdir=([^,\s]+)/.exec(line);
    if (m) for (const d of m[1]!.split(':')) out.add(d);
  }
  return out;
}

/** Overlay mounts need root in the initial user namespace and the overlay filesystem in this kernel. */
export function overlaySupported(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Mount `lower` (read-only) under `<bundle>/overlay/upper` at `<bundle>/rootfs`. False when the kernel refuses
 * (an overlay upper directory on an overlay or some network filesystems, say): the caller copies instead.
 */
export function mountOverlayRootfs(bundle: string, lower: string): boolean {
  // mount(8) option syntax: these characters would split or escape the option string.
  if ([bundle, lower].some((p) => /[,:\\\s]/.test(p))) return false;
  const upper = path.join(bundle, OVERLAY_DIR, 'upper');
  const work = path.join(bundle, OVERLAY_DIR, 'work');
  const target = path.join(bundle, ROOTFS_DIR);
  for (const d of [upper, work, target]) mkdirSync(d, { recursive: true, mode: 0o755 });
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(path.join(bundle, OVERLAY_DIR), { recursive: true, force: true });
    return false;
  }
  return true;
}

/** Unmount `<bundle>/rootfs` when it is a mount point; a busy mount (a running container) is an error. */
export function unmountRootfs(bundle: string): void {
  const target = path.join(bundle, ROOTFS_DIR);
  if (!existsSync(target) || !isMountPoint(target)) return;
  const r = spawnSync('umount', [target], { encoding: 'utf8' });
  if (r.status !== 0) throw new CtnrError('BUNDLE_FAILED', `cannot unmount ${target}: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** Remove a bundle directory (already checked to be ctnr's), unmounting its root filesystem first. */
export function removeBundleTree(dir: string): void {
  unmountRootfs(dir);
  removeOwnTree(dir);
}

/**
 * rm -rf of a tree ctnr made. Rootless, an image's files in it belong to the user's subordinate ids, which
 * only root of a user namespace with the same mapping may remove: then `rm` runs in one (util-linux unshare,
 * which sets the mapping up through newuidmap/newgidmap, as the image unpacker does).
 */
export function removeOwnTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (process.getuid?.() === 0 || (code !== 'EACCES' && code !== 'EPERM')) throw err;
  }
  const mapping = currentUserIdMapping();
  const sub = (ranges: IdMapping['uids']) => ranges.filter((r) => r.containerId !== 0);
  const [u, g] = [sub(mapping.uids), sub(mapping.gids)];
  // unshare takes one subordinate range per kind; a user with several gets a clear error instead.
  if (u.length !== 1 || g.length !== 1) throw new CtnrError('BUNDLE_FAILED', `cannot remove ${dir}: it holds files of subordinate ids and ${u.length === 0 ? 'this user has no /etc/subuid and /etc/subgid ranges' : 'this user has several subordinate ranges'}`);
  const r = spawnSync(
    'unshare',
    ['--user', '--map-user=0', '--map-group=0', `--map-users=${u[0]!.hostId},${u[0]!.containerId},${u[0]!.size}`, `--map-groups=${g[0]!.hostId},${g[0]!.containerId},${g[0]!.size}`, '--', 'rm', '-rf', '--', dir],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) throw new CtnrError('BUNDLE_FAILED', `cannot remove ${dir}: ${r.error?.message ?? (r.stderr.trim().split('\n')[0] || `exit ${r.status}`)}`);
}
