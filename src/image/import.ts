import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { resolveInRootfs } from '../linux/rootfs.js';
import { isDigest, sha256 } from './digest.js';
import { choosePlatform, hostPlatform } from './platform.js';
import { platformKey } from './pull.js';
import { parseReference, referenceString } from './reference.js';
import { removeTree } from './rootfs.js';
import type { ImageStore, StoredImage } from './store.js';
import { INDEX_MEDIA_TYPES, MEDIA, type Compression, type Descriptor, type Platform } from './types.js';
import { applyLayer } from './unpack.js';

/**
 * `ctnr image import`: `docker save` / `podman save` tarballs (manifest.json + config + layer tars), OCI
 * archives (a tarred OCI layout) and OCI layout directories. Archives are unpacked with the same extractor as
 * image layers (nothing can land outside the temporary directory) and every file is read through
 * resolveInRootfs, so a symlink in a hostile archive cannot make ctnr import a host file. Every blob is
 * hashed into the store like a pulled one.
 */

export interface ImportOptions {
  /** Reference for an image the archive does not name. */
  tag?: string;
  platform?: Platform;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

function sniffCompression(file: string): Compression {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(4);
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** A file inside the unpacked archive, symlinks resolved inside it; must be a regular file. */
function inside(root: string, rel: string, what: string): string {
  const file = resolveInRootfs(root, rel);
  let ok = false;
  try {
    ok = statSync(file).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw new CtnrError('IMAGE_INVALID', `the archive has no ${what} (${rel})`);
  return file;
}

function readJson(root: string, rel: string, what: string): any {
  try {
    return JSON.parse(readFileSync(inside(root, rel, what), 'utf8'));
  } catch (err) {
    if (err instanceof CtnrError) throw err;
    throw new CtnrError('IMAGE_INVALID', `the archive's ${what} (${rel}) is not JSON`);
  }
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

async function ingestFile(store: ImageStore, desc: Descriptor, file: string): Promise<void> {
  await store.ingest(desc, async (offset) => ({ stream: createReadStream(file, { start: offset }), offset }));
}

/** A reference to record: the archive's name for the image, else --tag; a bare tag needs --tag's repository. */
function nameFor(annotation: string | undefined, opts: ImportOptions): string | undefined {
  if (annotation && /[/:@]/.test(annotation)) {
    try {
      return referenceString(parseReference(annotation));
    } catch {
      /* a tag-only or odd name: fall through */
    }
  }
  if (opts.tag) return referenceString(parseReference(opts.tag));
  return undefined;
}

async function record(store: ImageStore, name: string | undefined, manifest: string, platform: string): Promise<void> {
  if (!name) return;
  await store.updateRefs((refs) => {
    refs[name] = { manifest, platform, pulled: new Date().toISOString(), complete: true };
  });
}

async function importLayout(store: ImageStore, root: string, opts: ImportOptions): Promise<StoredImage[]> {
  const index = readJson(root, 'index.json', 'index.json');
  if (!Array.isArray(index?.manifests)) throw new CtnrError('IMAGE_INVALID', 'the layout\'s index.json has no "manifests" list');
  const want = opts.platform ?? hostPlatform();
  const blob = (d: string) => {
    if (!isDigest(d)) throw new CtnrError('IMAGE_INVALID', `the layout names an invalid digest ${JSON.stringify(d).slice(0, 80)}`);
    return inside(root, `blobs/${d.replace(':', '/')}`, `blob ${d}`);
  };
  const out: StoredImage[] = [];
  for (const top of index.manifests as Descriptor[]) {
    const name = nameFor(top.annotations?.[CONTAINERD_NAME] ?? top.annotations?.[REF_NAME], opts);
    let desc = top;
    if (INDEX_MEDIA_TYPES.has(desc.mediaType)) {
      await ingestFile(store, desc, blob(desc.digest));
      const nested = JSON.parse(store.readBlob(desc.digest).toString('utf8'));
      desc = choosePlatform(nested.manifests ?? [], want, `index ${desc.digest}`);
    }
    await ingestFile(store, desc, blob(desc.digest));
    const manifest = JSON.parse(store.readBlob(desc.digest).toString('utf8'));
    if (!manifest?.config?.digest || !Array.isArray(manifest.layers)) throw new CtnrError('IMAGE_INVALID', `manifest ${desc.digest} has no config or layers`);
    await ingestFile(store, manifest.config, blob(manifest.config.digest));
    for (const layer of manifest.layers as Descriptor[]) await ingestFile(store, layer, blob(layer.digest));
    const image = store.openImage(desc.digest, name);
    await record(store, name, desc.digest, platformKey(want));
    out.push(image);
  }
  return out;
}

/** docker save: manifest.json lists each image's config file, tags and uncompressed layer tars. */
async function importDockerSave(store: ImageStore, root: string, opts: ImportOptions): Promise<StoredImage[]> {
  const entries = readJson(root, 'manifest.json', 'manifest.json');
  if (!Array.isArray(entries)) throw new CtnrError('IMAGE_INVALID', 'the archive\'s manifest.json is not a list');
  const out: StoredImage[] = [];
  for (const entry of entries) {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers)) throw new CtnrError('IMAGE_INVALID', 'a manifest.json entry has no Config or Layers');
    const configFile = inside(root, entry.Config, 'image config');
    const configBytes = readFileSync(configFile);
    const config = { mediaType: MEDIA.ociConfig, digest: sha256(configBytes), size: configBytes.length };
    store.writeBytes(config.digest, configBytes);
    const layers: Descriptor[] = [];
    for (const rel of entry.Layers as unknown[]) {
      if (typeof rel !== 'string') throw new CtnrError('IMAGE_INVALID', 'a Layers entry of manifest.json is not a path');
      const file = inside(root, rel, 'layer');
      const compression = sniffCompression(file);
      const mediaType = compression === 'gzip' ? MEDIA.ociLayerGzip : compression === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
      const desc = { mediaType, digest: await hashFile(file), size: statSync(file).size };
      await ingestFile(store, desc, file);
      layers.push(desc);
    }
    // The manifest docker would have pushed, written with a fixed key order: the same archive gives the same digest.
    const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers }));
    const manifestDigest = sha256(manifestBytes);
    store.writeBytes(manifestDigest, manifestBytes);
    const image = store.openImage(manifestDigest);
    const arch = typeof image.configDoc.architecture === 'string' ? image.configDoc.architecture : hostPlatform().architecture;
    const variant = typeof image.configDoc.variant === 'string' && image.configDoc.variant !== '' ? image.configDoc.variant : undefined;
    const platform = platformKey({ os: typeof image.configDoc.os === 'string' ? image.configDoc.os : 'linux', architecture: arch, ...(variant ? { variant } : {}) });
    const tags: string[] = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t: unknown) => typeof t === 'string') : [];
    const names = tags.map((t) => referenceString(parseReference(t)));
    if (names.length === 0 && opts.tag) names.push(referenceString(parseReference(opts.tag)));
    for (const name of names) await record(store, name, manifestDigest, platform);
    out.push({ ...image, ...(names[0] ? { reference: names[0] } : {}) });
  }
  return out;
}

export async function importArchive(store: ImageStore, file: string, opts: ImportOptions = {}): Promise<StoredImage[]> {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new CtnrError('USAGE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (st.isDirectory()) {
    if (!existsSync(path.join(file, 'index.json'))) throw new CtnrError('IMAGE_INVALID', `${file} is not an OCI image layout (no index.json)`);
    return importLayout(store, file, opts);
  }
  const tmp = store.scratchDir('import');
  try {
    await applyLayer(tmp, createReadStream(file), { compression: sniffCompression(file), privileged: false });
    if (existsSync(path.join(tmp, 'index.json'))) return await importLayout(store, tmp, opts);
    if (existsSync(path.join(tmp, 'manifest.json'))) return await importDockerSave(store, tmp, opts);
    throw new CtnrError('IMAGE_INVALID', `${file} is neither a docker save tarball (manifest.json) nor an OCI archive (index.json)`);
  } finally {
    await removeTree(tmp);
  }
}
