import { CtnrError, isCtnrError } from '../engine/errors.js';
import { isDigest } from './digest.js';
import { choosePlatform, hostPlatform, parsePlatform, platformString } from './platform.js';
import { parseReference, referenceString } from './reference.js';
import { openSource, type ManifestResponse, type RegistryOptions, type RegistrySource } from './registry.js';
import { RegistryFailure } from './registry/http.js';
import type { ImageStore, StoredImage } from './store.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, type Descriptor, type Index, type ImageReference, type Platform } from './types.js';

export interface PullOptions extends RegistryOptions {
  platform?: Platform;
  /** Download every layer (a bundle needs them); false fetches only the manifest and config (enough for a spec). */
  layers?: boolean;
  /** How many layers download at once. */
  concurrency?: number;
}

/**
 * The platform as the store records it: lower case, and arm64 without a variant is arm64/v8 (what an arm64
 * image without one means), so `--platform linux/arm64` and `platform: linux/arm64/v8` find one stored image.
 */
export function platformKey(p: Platform): string {
  const architecture = p.architecture.toLowerCase();
  const variant = p.variant?.toLowerCase() || (architecture === 'arm64' ? 'v8' : undefined);
  return platformString({ os: p.os.toLowerCase(), architecture, ...(variant ? { variant } : {}) });
}

/** Whether a recorded platform (written by any version of the store) is `p`. */
export function samePlatform(recorded: string, p: Platform): boolean {
  try {
    return platformKey(parsePlatform(recorded)) === platformKey(p);
  } catch {
    return false;
  }
}

function parseJson(bytes: Buffer, what: string): any {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new CtnrError('IMAGE_INVALID', `${what} is not JSON`);
  }
}

/** Media type of a manifest response: the Content-Type, else the document's own `mediaType`, else its shape. */
function kindOf(resp: ManifestResponse, doc: any): 'index' | 'manifest' {
  const type = MANIFEST_MEDIA_TYPES.has(resp.mediaType) || INDEX_MEDIA_TYPES.has(resp.mediaType) ? resp.mediaType : doc?.mediaType;
  if (type && INDEX_MEDIA_TYPES.has(type)) return 'index';
  if (type && MANIFEST_MEDIA_TYPES.has(type)) return 'manifest';
  if (Array.isArray(doc?.manifests)) return 'index';
  if (doc?.config && Array.isArray(doc?.layers)) return 'manifest';
  throw new CtnrError('IMAGE_INVALID', `unsupported manifest type "${resp.mediaType}" (schema 1 manifests are not supported)`);
}

async function storeBlob(store: ImageStore, source: RegistrySource, desc: Descriptor, opts: PullOptions): Promise<void> {
  try {
    await store.ingest(desc, (offset) => source.openBlob(desc, offset), opts.onProgress);
  } catch (err) {
    throw blobFailure(err, source);
  }
}

/**
 * A failure while a blob streams in as one line naming the reference and where it came from, like a failed
 * request: a digest mismatch, or the connection dropping mid-body (a RegistryFailure from the body stream, which
 * would otherwise reach the user as an internal error). Errors that already name the reference pass through.
 */
function blobFailure(err: unknown, source: RegistrySource): unknown {
  const prefix = `cannot pull ${referenceString(source.reference)}: `;
  if (err instanceof RegistryFailure) return new CtnrError(err.code, `${prefix}${source.location}: ${err.reason}`, { cause: err });
  if (isCtnrError(err) && !err.message.startsWith(prefix) && (err.code === 'IMAGE_DIGEST' || err.code === 'REGISTRY_FAILED' || err.code === 'REGISTRY_AUTH')) {
    return new CtnrError(err.code, `${prefix}${source.location}: ${err.message}`, { cause: err });
  }
  return err;
}

/** Run `tasks` with at most `limit` in flight; the first failure rejects after the others settle. */
async function inParallel(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        errors.push(err);
        next = tasks.length;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}

/**
 * Pull `ref` into the store: resolve the manifest (choosing this platform from an index), store the manifest and
 * config, then (unless `layers: false`) every layer, verifying each digest while streaming. The reference is
 * recorded after the config is stored, and marked complete after the last layer.
 */
export async function pullImage(store: ImageStore, refText: string | ImageReference, opts: PullOptions = {}): Promise<StoredImage> {
  const ref = typeof refText === 'string' ? parseReference(refText) : refText;
  const name = referenceString(ref);
  const want = opts.platform ?? hostPlatform();
  const { source, manifest: first } = await openSource(ref, opts);
  opts.onProgress?.({ kind: 'resolve', reference: name, location: source.location });
  if (ref.digest && first.digest !== ref.digest) {
    throw new CtnrError('IMAGE_DIGEST', `${name}: the registry returned manifest ${first.digest}, not the pinned ${ref.digest}`);
  }
  let resp = first;
  let doc = parseJson(resp.bytes, `manifest of ${name}`);
  let indexDigest: string | undefined;
  if (kindOf(resp, doc) === 'index') {
    indexDigest = resp.digest;
    store.writeBytes(resp.digest, resp.bytes);
    const chosen = choosePlatform((doc as Index).manifests ?? [], want, name);
    if (!isDigest(chosen.digest)) throw new CtnrError('IMAGE_INVALID', `${name}: the index lists a manifest with an invalid digest`);
    resp = await source.getManifest(chosen.digest);
    if (resp.digest !== chosen.digest) throw new CtnrError('IMAGE_DIGEST', `${name}: manifest ${chosen.digest} does not match its digest`);
    doc = parseJson(resp.bytes, `manifest ${chosen.digest} of ${name}`);
    if (kindOf(resp, doc) !== 'manifest') throw new CtnrError('IMAGE_INVALID', `${name}: an index inside an index is not supported`);
  }
  store.writeBytes(resp.digest, resp.bytes);
  const manifest = doc as { config?: Descriptor; layers?: Descriptor[] };
  if (!manifest.config || !isDigest(manifest.config.digest) || !Array.isArray(manifest.layers)) {
    throw new CtnrError('IMAGE_INVALID', `${name}: manifest ${resp.digest} has no config or layers`);
  }
  await storeBlob(store, source, manifest.config, opts);
  // Check the config before recording anything (diff_ids must match the layers).
  const image = store.openImage(resp.digest, name);
  const record = { manifest: resp.digest, ...(indexDigest ? { index: indexDigest } : {}), platform: platformKey(want), pulled: new Date().toISOString() };
  const alreadyComplete = image.layers.every((l) => store.hasBlob(l.digest));
  await store.updateRefs((refs) => {
    const prev = refs[name];
    refs[name] = { ...record, complete: alreadyComplete || (prev !== undefined && prev.manifest === resp.digest && prev.complete) };
  });
  if (opts.layers === false) return image;
  await fetchLayers(store, source, image, opts);
  await store.updateRefs((refs) => {
    refs[name] = { ...record, complete: true };
  });
  return image;
}

async function fetchLayers(store: ImageStore, source: RegistrySource, image: StoredImage, opts: PullOptions): Promise<void> {
  for (const layer of image.layers) {
    if (layer.urls?.length && /foreign/.test(layer.mediaType)) {
      throw new CtnrError('IMAGE_INVALID', `layer ${layer.digest} is a foreign layer (downloaded from ${layer.urls[0]}); foreign layers are not supported`);
    }
  }
  const tasks = image.layers.map((layer) => () => storeBlob(store, source, layer, opts));
  await inParallel(tasks, opts.concurrency ?? 3);
}

/**
 * Fetch some of an image's blobs (the layers a spec needs to read /etc/passwd, say) from the registry that
 * serves `reference`, the source pinned to the image's manifest digest so a moved tag cannot mix two images.
 */
export async function fetchBlobs(store: ImageStore, reference: string, manifestDigest: string, blobs: readonly Descriptor[], opts: PullOptions = {}): Promise<void> {
  const ref = { ...parseReference(reference), digest: manifestDigest };
  const { source } = await openSource(ref, opts);
  for (const desc of blobs) await storeBlob(store, source, desc, opts);
}
