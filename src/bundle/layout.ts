import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { compressionOf } from '../image/compression.js';
import type { IdMapping, ImageConfig, ImageWarning, Platform } from '../image/types.js';
import { choosePlatform, platformFits, platformString } from '../image/platform.js';
import { applyLayer } from '../image/unpack.js';

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
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface LayoutImage {
  layout: string;
  /** Digest of the chosen manifest. */
  manifest: string;
  config: ImageConfig;
  /** Layer blobs, bottom first. */
  layers: Array<{ digest: string; path: string; mediaType: string }>;
  /** The config's rootfs.diff_ids (sha256 of each uncompressed layer), when it lists one per layer. */
  diffIds?: string[];
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

/**
 * The manifest (or nested index) for `image` on `platform`: the entries named for the image (else all), those that
 * run on the platform, then the best of them (choosePlatform: the closest variant) when they are one image's
 * platforms; entries of different images none of which is named for it are an error.
 */
function pick(layout: string, list: Descriptor[], image: string | undefined, platform: Platform, where: string): Descriptor {
  let named: Descriptor[] = [];
  for (const ref of refCandidates(image)) {
    named = list.filter((d) => d.annotations?.[REF_NAME] === ref);
    if (named.length > 0) break;
  }
  const candidates = (named.length > 0 ? named : list).filter((d) => !d.platform || platformFits(d.platform, platform));
  if (candidates.length === 0) throw imageError(`${layout}: ${where} has no manifest${named.length > 0 ? ` named "${image}"` : ''} for ${platformString(platform)}`);
  if (candidates.length === 1) return candidates[0]!;
  const names = [...new Set(candidates.map((d) => d.annotations?.[REF_NAME] ?? ''))];
  if (named.length > 0 || names.length === 1) {
    const withPlatform = candidates.filter((d) => d.platform?.architecture !== undefined);
    if (withPlatform.length === 0) return candidates[0]!;
    const entries = withPlatform.map((d) => ({ d, platform: { os: 'linux', architecture: d.platform!.architecture!, ...d.platform } }));
    return choosePlatform(entries, platform, `${layout}: ${where}`).d;
  }
  throw imageError(`${layout}: ${where} holds several images (${candidates.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ')}); none is named ${image ? `"${image}"` : '(no image: in the service)'}`);
}

/** Choose the manifest for `image` (by `org.opencontainers.image.ref.name`, or the only one) and read its config. */
export function readLayout(layout: string, image: string | undefined, platform: Platform): LayoutImage {
  const dir = path.resolve(layout);
  let index: any;
  try {
    index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  } catch (err) {
    throw imageError(`${dir} is not an OCI image layout (index.json: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!Array.isArray(index?.manifests)) throw imageError(`${dir}/index.json has no "manifests" list`);
  let desc = pick(dir, index.manifests, image, platform, 'index.json');
  for (let depth = 0; desc.mediaType && INDEX_TYPES.has(desc.mediaType); depth++) {
    if (depth > 4) throw imageError(`${dir}: image indexes nest too deep`);
    const nested = readJsonBlob(dir, desc.digest);
    desc = pick(dir, nested.manifests ?? [], undefined, platform, `index ${desc.digest}`);
  }
  const manifest = readJsonBlob(dir, desc.digest);
  if (!manifest?.config?.digest || !Array.isArray(manifest.layers)) throw imageError(`${dir}: manifest ${desc.digest} has no config or layers`);
  const configDoc = readJsonBlob(dir, manifest.config.digest);
  const layers = (manifest.layers as Descriptor[]).map((l) => {
    // A layer without a media type is taken for what it holds: applyLayer reads the magic bytes.
    const mediaType = l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar';
    return { digest: l.digest, path: blobPath(dir, l.digest), mediaType };
  });
  const diffIds = configDoc?.rootfs?.diff_ids;
  return {
    layout: dir,
    manifest: desc.digest,
    config: (configDoc?.config ?? {}) as ImageConfig,
    layers,
    ...(Array.isArray(diffIds) && diffIds.length === layers.length ? { diffIds: diffIds as string[] } : {}),
  };
}

export interface UnpackLayersOptions {
  /** Rootless: image ids → host ids (see src/image/idmap.ts); without it, ids are kept (root) or squashed. */
  idMapping?: IdMapping;
}

/**
 * Unpack `image`'s layers into `rootfs`, bottom first, with the safe extractor (src/image/unpack.ts): whiteouts
 * and opaque directories, nothing written outside `rootfs`, each layer's diffID checked against the config.
 * Media types and blob digests are checked first, synchronously: a tampered layout fails before anything is
 * written, and throws rather than rejects.
 * Resolves to the unpacker's warnings (xattrs or device nodes that could not be kept, squashed owners).
 */
export function unpackLayers(image: LayoutImage, rootfs: string, opts: UnpackLayersOptions = {}): Promise<ImageWarning[]> {
  const compressions = image.layers.map((l) => compressionOf(l.mediaType));
  const files = image.layers.map((l) => verifyBlob(image.layout, l.digest));
  mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  return (async () => {
    const warnings: ImageWarning[] = [];
    for (let i = 0; i < files.length; i++) {
      const result = await applyLayer(rootfs, createReadStream(files[i]!), {
        compression: compressions[i]!,
        ...(image.diffIds ? { expectedDiffId: image.diffIds[i]! } : {}),
        ...(opts.idMapping ? { idMapping: opts.idMapping } : {}),
      });
      warnings.push(...result.warnings);
    }
    return warnings;
  })();
}
