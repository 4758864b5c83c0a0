import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../errors.js';

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
  rmSync(dir, { recursive: true, force: true });
}
