import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { compressionOf } from './compression.js';
import { parseDigest } from './digest.js';
import type { ImageStore, StoredImage } from './store.js';
import type { IdMapping, ImageWarning, PullProgress } from './types.js';
import { applyLayer } from './unpack.js';
import { currentUserIdMapping, hasSubordinateIds } from './idmap.js';
import { runInUserNamespace } from './unpack-userns.js';

/**
 * Unpacked root filesystems, cached per image under `<store>/rootfs/<top chain ID>[-<mapping>]` so a second
 * bundle of the same image costs no unpacking. Rootless caches are keyed by the id mapping too: the files'
 * owners on disk depend on it. A cache is built in a temporary directory and renamed into place, so a crash
 * leaves no half tree under its final name (`ctnr image prune` removes the leftovers).
 */

export interface RootfsOptions {
  idMapping?: IdMapping;
  onProgress?: (e: PullProgress) => void;
  onWarning?: (w: ImageWarning) => void;
}

function mappingKey(m: IdMapping | undefined): string {
  if (!m) return '';
  const text = JSON.stringify([m.uids.map((r) => [r.containerId, r.hostId, r.size]), m.gids.map((r) => [r.containerId, r.hostId, r.size])]);
  return `-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

export function rootfsCacheDir(store: ImageStore, image: StoredImage, idMapping?: IdMapping): string {
  const top = image.chainIds[image.chainIds.length - 1];
  // An image with no layers is an empty root filesystem; it still gets its own (empty) directory.
  const key = top ? parseDigest(top).hex : 'empty';
  return path.join(store.root, 'rootfs', `${key}${mappingKey(idMapping)}`);
}

/** The cached, unpacked root filesystem of `image` (every layer must be stored); built on first use. */
export async function imageRootfs(store: ImageStore, image: StoredImage, opts: RootfsOptions = {}): Promise<string> {
  const dir = rootfsCacheDir(store, image, opts.idMapping);
  if (existsSync(dir)) return dir;
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  try {
    for (let i = 0; i < image.layers.length; i++) {
      const layer = image.layers[i]!;
      opts.onProgress?.({ kind: 'unpack', digest: layer.digest });
      let result;
      try {
        result = await applyLayer(tmp, createReadStream(store.blobPath(layer.digest)), {
          compression: compressionOf(layer.mediaType),
          expectedDiffId: image.diffIds[i]!,
          ...(opts.idMapping ? { idMapping: opts.idMapping } : {}),
        });
      } catch (err) {
        // Which image and which layer: `up` unpacks several images, and the unpacker knows neither.
        if (err instanceof CtnrError) {
          throw new CtnrError(err.code, `cannot unpack ${image.reference ?? image.manifestDigest} (layer ${i + 1} of ${image.layers.length}, ${layer.digest}): ${err.message}`, { cause: err });
        }
        throw err;
      }
      for (const w of result.warnings) opts.onWarning?.(w);
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same cache first: use theirs.
      if (!existsSync(dir)) throw err;
      await removeTree(tmp, opts.idMapping);
    }
  } catch (err) {
    await removeTree(tmp, opts.idMapping).catch(() => undefined);
    throw err;
  }
  return dir;
}

/**
 * Remove a tree we created (rm -rf semantics; never follows symlinks). A rootless user's unpacked trees hold
 * files owned by subordinate ids, which only a user namespace with the same mapping may remove: `idMapping`, or
 * (not root) the user's own mapping from /etc/subuid and /etc/subgid, the only one an unprivileged user can
 * make, so callers that do not know how a tree was made (`image prune`) remove it too. A failure is one error
 * line naming the tree.
 */
export async function removeTree(dir: string, idMapping?: IdMapping): Promise<void> {
  const mapping = process.getuid?.() !== 0 ? (idMapping ?? currentUserIdMapping()) : undefined;
  try {
    if (mapping && hasSubordinateIds(mapping)) {
      await runInUserNamespace(mapping, ['rm', '-rf', '--', dir]);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Trees unpacked rootless may hold directories without write permission for their owner.
      spawnSync('chmod', ['-R', 'u+rwx', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  } catch (err) {
    if (err instanceof CtnrError) throw err;
    throw new CtnrError('BUNDLE_FAILED', `cannot remove ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Copy a cached root filesystem to `dest` (which must not exist), keeping owners, modes, links, times and
 * xattrs; reflinks where the filesystem shares extents (btrfs, xfs), so the copy is cheap there. Rootless, the
 * copy runs in a user namespace with the cache's mapping so the subordinate owners are kept.
 */
export async function copyRootfs(src: string, dest: string, idMapping?: IdMapping): Promise<void> {
  const argv = ['cp', '-a', '--reflink=auto', '--', src, dest];
  try {
    if (idMapping && process.getuid?.() !== 0 && hasSubordinateIds(idMapping)) {
      await runInUserNamespace(idMapping, argv);
      return;
    }
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(r.error ? r.error.message : r.stderr.trim().split('\n')[0]);
  } catch (err) {
    await removeTree(dest, idMapping).catch(() => undefined);
    throw new CtnrError('BUNDLE_FAILED', `cannot copy the image's root filesystem to ${dest}: ${(err as Error).message}`);
  }
}

/** Cache directories under `<store>/rootfs` (finished ones and stale temporaries). */
export function listRootfsCaches(store: ImageStore): string[] {
  try {
    return readdirSync(path.join(store.root, 'rootfs')).sort();
  } catch {
    return [];
  }
}
