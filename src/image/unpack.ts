import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CtnrError } from '../engine/errors.js';
import { decompress } from './compression.js';
import { parseDigest } from './digest.js';
import { hasSubordinateIds } from './unpack-ids.js';
import type { Compression, IdMapping, ImageWarning } from './types.js';
import { applyTar } from './unpack-apply.js';
import { applyInUserNamespace } from './unpack-userns.js';

/**
 * Apply one image layer onto a root filesystem, safely (see unpack-path.ts and unpack-apply.ts), streaming:
 * blob → decompress → hash (the diffID) → tar entries → files. Nothing holds a whole layer.
 *
 * Ownership:
 * - root, no mapping: the image's ids as they are;
 * - root with a mapping: image ids translated to the mapped host ids (a rootfs prepared for a user namespace);
 * - not root, a mapping with subordinate ids: a helper in a user namespace does the chowns (unpack-userns.ts);
 * - not root otherwise: every file is the user's, and one OWNER_SQUASHED warning says so.
 *
 * On an error (IMAGE_UNPACK, IMAGE_DIGEST) `rootDir` holds part of the layer: unpack into a directory of your
 * own and throw it away, as the image store does.
 */

export interface ApplyLayerOptions {
  compression: Compression;
  /** sha256 of the uncompressed tar (the image config's rootfs.diff_ids[i]); mismatch → CtnrError('IMAGE_DIGEST', naming both digests). */
  expectedDiffId?: string;
  /** Rootless: how image ids map to host ids (built from the user's /etc/subuid,/etc/subgid: image 0 → the user, 1.. → subuid range). undefined → keep ids as root does. */
  idMapping?: IdMapping;
  /** Whether we can chown/mknod (default: process.getuid() === 0). */
  privileged?: boolean;
}

export interface ApplyLayerResult {
  diffId: string;
  warnings: ImageWarning[];
  entries: number;
}

/** The chunks of `input`, hashed on the way through. */
async function* hashed(input: Readable, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    hash.update(chunk as Buffer);
    yield chunk as Buffer;
  }
}

/** Apply one layer (a stream of the compressed blob) onto rootDir: whiteouts, opaque dirs, then entries. */
export async function applyLayer(rootDir: string, blob: Readable, opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const algorithm = opts.expectedDiffId === undefined ? 'sha256' : parseDigest(opts.expectedDiffId, 'diff_id').algorithm;
  const privileged = opts.privileged ?? process.getuid?.() === 0;
  const hash = createHash(algorithm);
  const tar = decompress(blob, opts.compression);
  const stream = hashed(tar, hash);
  let applied;
  try {
    if (!privileged && opts.idMapping && hasSubordinateIds(opts.idMapping)) {
      applied = await applyInUserNamespace(rootDir, stream, opts.idMapping);
    } else {
      const squashHint = opts.idMapping ? 'you have no subordinate ids (add ranges for your user to /etc/subuid and /etc/subgid)' : 'unpacking without root';
      applied = await applyTar(rootDir, stream, { privileged, ...(privileged && opts.idMapping ? { idMapping: opts.idMapping } : {}), squashHint });
    }
  } catch (err) {
    tar.destroy();
    blob.destroy();
    throw err instanceof CtnrError ? err : new CtnrError('IMAGE_UNPACK', `layer: ${(err as Error).message}`, { cause: err });
  }
  const diffId = `${algorithm}:${hash.digest('hex')}`;
  if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
    throw new CtnrError('IMAGE_DIGEST', `layer content has diff_id ${diffId}, but the image config says ${opts.expectedDiffId}`);
  }
  return { diffId, ...applied };
}
