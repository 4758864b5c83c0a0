import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { parseReference, referenceString } from './reference.js';
import { listRootfsCaches, removeTree, rootfsCacheDir } from './rootfs.js';
import { parseScratchName, type ImageStore, type RefRecord, type StoredImage } from './store.js';
import { withLock } from './lock.js';
import { processAlive } from '../linux/pid.js';
import { overlayLowerDirs } from '../bundle/rootfs-mount.js';

/** `ctnr images`, `image rm`, `image prune`, `image inspect`: what is stored and what may go. */

export interface ImageListing {
  reference: string;
  digest: string;
  platform: string;
  size: number;
  created?: string;
  pulled: string;
}

/** Complete images (every layer stored), sorted by reference. */
export function listImages(store: ImageStore): ImageListing[] {
  const out: ImageListing[] = [];
  const refs = store.readRefs();
  for (const reference of Object.keys(refs).sort()) {
    const rec = refs[reference]!;
    if (!rec.complete || !store.hasBlob(rec.manifest)) continue;
    let image: StoredImage;
    try {
      image = store.openImage(rec.manifest, reference);
    } catch {
      continue; // a damaged entry: `image prune` will say so; listing stays usable
    }
    if (!image.layers.every((l) => store.hasBlob(l.digest))) continue;
    out.push({ reference, digest: rec.manifest, platform: rec.platform, size: image.size, ...(image.created ? { created: image.created } : {}), pulled: rec.pulled });
  }
  return out;
}

/**
 * The stored records a user's text names: a reference as typed (`hello:1` finds `docker.io/library/hello:1`), or
 * a manifest digest or its prefix as `ctnr images` shows it (every reference to that image).
 */
function findRefs(store: ImageStore, text: string): Array<{ reference: string; record: RefRecord }> {
  const refs = store.readRefs();
  if (refs[text]) return [{ reference: text, record: refs[text]! }];
  const hex = /^(sha256:)?([a-f0-9]{12,64})$/.exec(text)?.[2];
  if (hex !== undefined) {
    const hits = Object.entries(refs).filter(([, r]) => r.manifest.startsWith(`sha256:${hex}`));
    if (hits.length > 0) return hits.map(([reference, record]) => ({ reference, record }));
  }
  let name: string;
  try {
    name = referenceString(parseReference(text));
  } catch (err) {
    // `sha256:…` of no stored image is not a reference either: say it is not here, not that it is malformed.
    if (hex !== undefined) return [];
    throw err;
  }
  return refs[name] ? [{ reference: name, record: refs[name]! }] : [];
}

/** The stored record `text` names; a digest prefix shared by different images is an error that lists them. */
export function findRef(store: ImageStore, text: string): { reference: string; record: RefRecord } | undefined {
  const hits = findRefs(store, text);
  if (new Set(hits.map((h) => h.record.manifest)).size > 1) {
    throw new CtnrError('IMAGE_NOT_FOUND', `${text} matches several images (${hits.map((h) => h.reference).join(', ')}); give more of the digest or a reference`);
  }
  return hits[0];
}

export function inspectImage(store: ImageStore, text: string): StoredImage & { platform: string; pulled: string } {
  const hit = findRef(store, text);
  if (!hit) throw new CtnrError('IMAGE_NOT_FOUND', `no image ${text} in the store ${store.root}`);
  return { ...store.openImage(hit.record.manifest, hit.reference), platform: hit.record.platform, pulled: hit.record.pulled };
}

/**
 * Forget references (their blobs go with the next prune). Returns the canonical names removed. A digest that
 * several references share is refused, listing them, as docker does: removing all of them by accident is worse.
 */
export async function removeImages(store: ImageStore, texts: readonly string[]): Promise<string[]> {
  const found = texts.map((t) => {
    const hit = findRef(store, t);
    if (!hit) throw new CtnrError('IMAGE_NOT_FOUND', `no image ${t} in the store ${store.root}`);
    const all = findRefs(store, t);
    if (all.length > 1) {
      throw new CtnrError('IMAGE_NOT_FOUND', `image ${t} has several references (${all.map((h) => h.reference).join(', ')}): remove them by name (all at once: ctnr image rm ${all.map((h) => h.reference).join(' ')})`);
    }
    return hit.reference;
  });
  await store.updateRefs((refs) => {
    for (const r of found) delete refs[r];
  });
  return found;
}

export interface PruneResult {
  blobs: string[];
  rootfs: string[];
  partial: string[];
  /** Scratch directories of imports and builds that were killed (`.import-<pid>-…`, `.build-<pid>-…`). */
  scratch: string[];
  bytes: number;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Remove blobs no reference needs, unpacked root filesystems of images no longer referenced (unless a bundle's
 * overlay or image volume uses them: `bundleMounts` names the latter), stale partial
 * downloads (no live process holds their lock) and temporaries of crashed runs. Two prunes exclude each other
 * (prune.lock). Known gap: a pull running at the same moment has stored its manifest and config but not yet
 * recorded its reference for a few milliseconds; a prune in that window removes them and the pull fails with
 * a missing blob (run it again). Pulls do not take a lock prune could wait on, so they never serialise.
 */
export async function pruneImages(store: ImageStore, opts: { bundleMounts?: Iterable<string> } = {}): Promise<PruneResult> {
  const result: PruneResult = { blobs: [], rootfs: [], partial: [], scratch: [], bytes: 0 };
  await withLock(path.join(store.root, 'prune.lock'), async () => {
    const keep = new Set<string>();
    const keepRootfs = new Set<string>();
    for (const [reference, rec] of Object.entries(store.readRefs())) {
      keep.add(rec.manifest);
      if (rec.index) keep.add(rec.index);
      try {
        const image = store.openImage(rec.manifest, reference);
        keep.add(image.configDigest);
        for (const l of image.layers) keep.add(l.digest);
        keepRootfs.add(path.basename(rootfsCacheDir(store, image)));
      } catch {
        /* manifest or config missing: the rest of this image's blobs are unreachable */
      }
    }
    for (const digest of store.listBlobs()) {
      if (keep.has(digest)) continue;
      result.bytes += sizeOf(store.blobPath(digest));
      rmSync(store.blobPath(digest), { force: true });
      result.blobs.push(digest);
    }
    // Caches a bundle's overlay mount uses as its lower layer stay, referenced or not, and so do those a bundle's
    // image volumes bind (`bundleMounts`: the runtime mounts them only when the container starts).
    const mounted = new Set([...overlayLowerDirs()].map((d) => path.basename(d)));
    const cacheRoot = path.join(store.root, 'rootfs');
    for (const d of opts.bundleMounts ?? []) if (path.dirname(d) === cacheRoot) mounted.add(path.basename(d));
    for (const name of listRootfsCaches(store)) {
      if (mounted.has(name)) continue;
      // `<chain>` or `<chain>-<mapping>`: kept while the chain belongs to a referenced image.
      if (!name.startsWith('.') && keepRootfs.has(name.split('-')[0]!)) continue;
      if (name.startsWith('.') && tempOwnerAlive(name)) continue;
      await removeTree(path.join(store.root, 'rootfs', name));
      result.rootfs.push(name);
    }
    // Identity files (passwd/group read for specs) of manifests nothing references any more.
    let identities: string[] = [];
    try {
      identities = readdirSync(path.join(store.root, 'identity'));
    } catch {
      /* no spec resolved a user name yet */
    }
    for (const name of identities) {
      if (keep.has(`sha256:${name}`)) continue;
      if (/\.tmp-\d+$/.test(name) && tempOwnerAlive(name)) continue;
      rmSync(path.join(store.root, 'identity', name), { recursive: true, force: true });
      result.rootfs.push(`identity/${name}`);
    }
    let ingest: string[] = [];
    try {
      ingest = readdirSync(path.join(store.root, 'ingest'));
    } catch {
      /* nothing downloaded yet */
    }
    for (const name of ingest) {
      const file = path.join(store.root, 'ingest', name);
      if (name.endsWith('.lock')) {
        // A lock left by a killed pull: nothing holds it (withLock takes such a lock over; prune tidies it away).
        if (!lockOwnerAlive(file)) rmSync(file, { force: true });
        continue;
      }
      const base = name.replace(/\.partial$|\.\d+\.tmp$/, '');
      if (ingest.includes(`${base}.lock`) && lockOwnerAlive(path.join(store.root, 'ingest', `${base}.lock`))) continue; // a download in progress
      const writer = /\.(\d+)\.tmp$/.exec(name);
      if (writer && processAlive(Number(writer[1]))) continue; // a manifest or config being written
      result.bytes += sizeOf(file);
      rmSync(file, { force: true });
      result.partial.push(name);
    }
    for (const name of deadScratchDirs(store)) {
      const dir = path.join(store.root, name);
      result.bytes += treeBytes(dir);
      await removeTree(dir);
      result.scratch.push(name);
    }
  });
  return result;
}

/** Scratch directories no running import or build owns: their process is gone (unnamed ones: untouched for a day). */
function deadScratchDirs(store: ImageStore): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(store.root);
  } catch {
    return [];
  }
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  return names.filter((name) => {
    const scratch = parseScratchName(name);
    if (!scratch) return false;
    if (scratch.pid !== undefined) return !processAlive(scratch.pid);
    try {
      return statSync(path.join(store.root, name)).mtimeMs < dayAgo;
    } catch {
      return false;
    }
  }).sort();
}

/** The bytes of the regular files under `dir` (links not followed). */
function treeBytes(dir: string): number {
  let total = 0;
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else if (e.isFile()) total += sizeOf(p);
  }
  return total;
}

function lockOwnerAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    return false;
  }
  return processAlive(pid);
}

/** `.NAME.tmp-PID` directories belong to a live unpack while PID runs. */
function tempOwnerAlive(name: string): boolean {
  const m = /\.tmp-(\d+)$/.exec(name);
  return m ? processAlive(Number(m[1])) : false;
}


