import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { compressionOf, decompress } from './compression.js';
import { parseDigest } from './digest.js';
import type { ImageStore, StoredImage } from './store.js';
import { displayName, readTar } from './tar.js';
import type { Descriptor } from './types.js';

/**
 * A spec only needs an image's /etc/passwd and /etc/group (to resolve `user: postgres`), not its whole root
 * filesystem. They are read from the layers top down — fetching only the layers it takes to find them — and
 * kept as a tiny root under `<store>/identity/<manifest>/etc/`, which the user plugin resolves names against.
 * A layer that makes either file a link, or hides /etc behind a symlink, is beyond this shortcut: the caller
 * unpacks the whole image instead.
 */

const FILES = ['etc/passwd', 'etc/group'] as const;
type Wanted = (typeof FILES)[number];
/** Larger identity files are not credible; they stay unread (and the full unpack decides). */
const MAX_FILE = 4 << 20;

export type IdentityRoot = { kind: 'root'; dir: string } | { kind: 'needs-rootfs' };

function clean(name: string): string {
  return displayName(name).replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

interface LayerFinding {
  files: Partial<Record<Wanted, Buffer | null>>;
  /** `etc` was made opaque here: lower layers cannot supply what this one did not. */
  opaqueEtc: boolean;
  complex: boolean;
}

async function scanLayer(store: ImageStore, layer: Descriptor, pending: ReadonlySet<Wanted>): Promise<LayerFinding> {
  const found: LayerFinding = { files: {}, opaqueEtc: false, complex: false };
  const stream = decompress(createReadStream(store.blobPath(layer.digest)), compressionOf(layer.mediaType));
  try {
    for await (const entry of readTar(stream)) {
      const name = clean(entry.header.name);
      if (name === 'etc' && entry.header.type !== 'directory' && entry.header.type !== undefined) found.complex = true;
      if (name === 'etc/.wh..wh..opq') found.opaqueEtc = true;
      for (const f of pending) {
        if (name === `etc/.wh.${f.slice(4)}`) found.files[f] = null;
        else if (name === f) {
          if (entry.header.type !== 'file' || entry.header.size > MAX_FILE) found.complex = true;
          else {
            const chunks: Buffer[] = [];
            for await (const c of entry.body) chunks.push(c);
            found.files[f] = Buffer.concat(chunks);
          }
        }
      }
    }
  } finally {
    stream.destroy();
  }
  return found;
}

/**
 * The identity root of `image`, fetching layers (top first) with `fetchLayer` until both files are decided.
 * Cached per manifest.
 */
export async function identityRoot(store: ImageStore, image: StoredImage, fetchLayer: (layer: Descriptor) => Promise<void>): Promise<IdentityRoot> {
  const dir = path.join(store.root, 'identity', parseDigest(image.manifestDigest).hex);
  if (existsSync(dir)) return { kind: 'root', dir };
  const decided: Partial<Record<Wanted, Buffer | null>> = {};
  for (let i = image.layers.length - 1; i >= 0; i--) {
    const pending = new Set(FILES.filter((f) => !(f in decided)));
    if (pending.size === 0) break;
    const layer = image.layers[i]!;
    if (!store.hasBlob(layer.digest)) await fetchLayer(layer);
    const found = await scanLayer(store, layer, pending);
    if (found.complex) return { kind: 'needs-rootfs' };
    Object.assign(decided, found.files);
    if (found.opaqueEtc) for (const f of FILES) if (!(f in decided)) decided[f] = null;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(path.join(tmp, 'etc'), { recursive: true, mode: 0o755 });
    for (const f of FILES) {
      const bytes = decided[f];
      if (bytes) writeFileSync(path.join(tmp, f), bytes, { mode: 0o644 });
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (!existsSync(dir)) throw err;
      rmSync(tmp, { recursive: true, force: true }); // another process wrote the same files first
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new CtnrError('IMAGE_UNPACK', `cannot keep the identity files of ${image.reference ?? image.manifestDigest}: ${(err as Error).message}`);
  }
  return { kind: 'root', dir };
}
