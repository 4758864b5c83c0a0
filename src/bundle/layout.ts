import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';

/**
 * Reading an OCI image layout (image-spec `image-layout.md`): index.json → manifest → config + layers, and
 * unpacking the layers into a root filesystem with their whiteouts. Used for `--image LAYOUT`.
 */

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const REF_NAME = 'org.opencontainers.image.ref.name';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

export interface LayoutImage {
  layout: string;
  /** Digest of the chosen manifest. */
  manifest: string;
  config: ImageConfig;
  /** Layer blobs, bottom first. */
  layers: Array<{ digest: string; path: string }>;
}

function imageError(message: string): CtnrError {
  return new CtnrError('IMAGE_INVALID', message);
}

function blobPath(layout: string, digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest ?? '');
  if (!m) throw imageError(`${layout}: "${digest}" is not a digest`);
  return path.join(layout, 'blobs', m[1]!, m[2]!);
}

/** Hash a blob in chunks (layers can be large) and compare with its digest: a layout is untrusted input. */
function verifyBlob(layout: string, digest: string): string {
  const file = blobPath(layout, digest);
  const [alg, hex] = digest.split(':') as [string, string];
  if (alg !== 'sha256' && alg !== 'sha512') throw imageError(`${layout}: unsupported digest algorithm ${alg}`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw imageError(`${layout}: blob ${digest} is missing`);
  }
  const h = createHash(alg);
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  if (h.digest('hex') !== hex) throw imageError(`${layout}: blob ${digest} does not match its digest`);
  return file;
}

function readJsonBlob(layout: string, digest: string): any {
  const file = verifyBlob(layout, digest);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw imageError(`${layout}: blob ${digest} is not JSON`);
  }
}

/** `docker.io/library/busybox:1.36` → candidates a layout's ref.name may use: the full ref and the tag. */
function refCandidates(image: string | undefined): string[] {
  if (!image) return [];
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const tag = colon > slash ? noDigest.slice(colon + 1) : 'latest';
  const name = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return [image, `${name}:${tag}`, tag];
}

function pick(layout: string, list: Descriptor[], image: string | undefined, arch: string, where: string): Descriptor {
  const candidates = list.filter((d) => !d.platform || ((d.platform.os ?? 'linux') === 'linux' && (d.platform.architecture ?? arch) === arch));
  if (candidates.length === 0) throw imageError(`${layout}: ${where} has no manifest for linux/${arch}`);
  const refs = refCandidates(image);
  for (const ref of refs) {
    const hit = candidates.find((d) => d.annotations?.[REF_NAME] === ref);
    if (hit) return hit;
  }
  if (candidates.length === 1) return candidates[0]!;
  const names = candidates.map((d) => d.annotations?.[REF_NAME] ?? d.digest);
  throw imageError(`${layout}: ${where} holds several images (${names.join(', ')}); none is named ${image ? `"${image}"` : '(no image: in the service)'}`);
}

/** Choose the manifest for `image` (by `org.opencontainers.image.ref.name`, or the only one) and read its config. */
export function readLayout(layout: string, image: string | undefined, arch: string): LayoutImage {
  const dir = path.resolve(layout);
  let index: any;
  try {
    index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  } catch (err) {
    throw imageError(`${dir} is not an OCI image layout (index.json: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!Array.isArray(index?.manifests)) throw imageError(`${dir}/index.json has no "manifests" list`);
  let desc = pick(dir, index.manifests, image, arch, 'index.json');
  for (let depth = 0; desc.mediaType && INDEX_TYPES.has(desc.mediaType); depth++) {
    if (depth > 4) throw imageError(`${dir}: image indexes nest too deep`);
    const nested = readJsonBlob(dir, desc.digest);
    desc = pick(dir, nested.manifests ?? [], undefined, arch, `index ${desc.digest}`);
  }
  const manifest = readJsonBlob(dir, desc.digest);
  if (!manifest?.config?.digest || !Array.isArray(manifest.layers)) throw imageError(`${dir}: manifest ${desc.digest} has no config or layers`);
  const configDoc = readJsonBlob(dir, manifest.config.digest);
  for (const l of manifest.layers as Descriptor[]) {
    if (l.mediaType && /zstd/.test(l.mediaType)) throw imageError(`${dir}: layer ${l.digest} is zstd-compressed; only tar and tar+gzip layers are supported`);
  }
  return {
    layout: dir,
    manifest: desc.digest,
    config: (configDoc?.config ?? {}) as ImageConfig,
    layers: (manifest.layers as Descriptor[]).map((l) => ({ digest: l.digest, path: blobPath(dir, l.digest) })),
  };
}

function tar(args: string[]): string {
  const r = spawnSync('tar', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw imageError(`cannot run tar: ${r.error.message}`);
  if (r.status !== 0) throw imageError(`tar ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Remove `rel` below `root` without following symlinks out of it (whiteout targets come from the layer). */
function removeInside(root: string, rel: string): void {
  const segs = rel.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) return;
  let cur = root;
  for (const seg of segs.slice(0, -1)) {
    cur = path.join(cur, seg);
    try {
      if (!lstatSync(cur).isDirectory()) return; // a symlinked parent: the whiteout cannot refer through it
    } catch {
      return;
    }
  }
  rmSync(path.join(root, ...segs), { recursive: true, force: true });
}

/**
 * Unpack `image`'s layers into `rootfs`, bottom first. Before each layer is extracted its whiteouts are
 * applied to what lies below (`.wh.NAME` deletes NAME, `.wh..wh..opq` empties its directory); the whiteout
 * markers themselves are not extracted. Ownership is kept when running as root.
 */
export function unpackLayers(image: LayoutImage, rootfs: string): void {
  mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  const asRoot = process.getuid?.() === 0;
  for (const { digest } of image.layers) {
    const layer = verifyBlob(image.layout, digest);
    const entries = tar(['-tf', layer]).split('\n').filter(Boolean);
    for (const entry of entries) {
      const base = path.posix.basename(entry);
      const parent = path.posix.dirname(entry);
      if (base === '.wh..wh..opq') {
        const dir = path.join(rootfs, parent);
        if (existsSync(dir) && lstatSync(dir).isDirectory()) {
          for (const child of readdirSync(dir)) removeInside(rootfs, path.posix.join(parent, child));
        }
      } else if (base.startsWith('.wh.')) {
        removeInside(rootfs, path.posix.join(parent, base.slice(4)));
      }
    }
    tar(['-xf', layer, '-C', rootfs, '--exclude=.wh.*', asRoot ? '--same-owner' : '--no-same-owner', '--numeric-owner']);
  }
}
