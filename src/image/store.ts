import { createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CtnrError } from '../engine/errors.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { chainIds, hasherFor, isDigest, matchesDigest, parseDigest } from './digest.js';
import { withLock } from './lock.js';
import type { Descriptor, Manifest, PullProgress } from './types.js';
import { imagesRoot } from '../linux/data-dir.js';

/**
 * The local image store, content-addressed under `<data-dir>/images` and shared by every bundle:
 *
 *   blobs/<alg>/<hex>         verified blobs (indexes, manifests, configs, layers), written once, renamed into place
 *   ingest/<alg>-<hex>.partial a download in progress (kept after a crash so the next pull resumes with Range)
 *   ingest/<alg>-<hex>.lock   held by the process downloading that blob: concurrent pulls fetch it once
 *   refs.json                 reference → manifest digest, platform, when pulled, and whether every layer is here
 *   rootfs/<chain-id>[-<map>] unpacked root filesystems (see rootfs.ts)
 *   .import-<pid>-*, .build-<pid>-*  scratch space of an `image import` or a build while process <pid> runs
 *                             (a killed one's is removed by `image prune`)
 *
 * A reference is recorded only after its manifest and config are stored, and marked `complete` only after its
 * layers are: an interrupted pull never leaves a half image that `ctnr images` lists.
 */

export type ScratchKind = 'import' | 'build';

/** A scratch directory's name: its kind and the process it belongs to (none for one named before the pid was). */
export function parseScratchName(name: string): { kind: ScratchKind; pid?: number } | undefined {
  const m = /^\.(import|build)-(?:(\d+)-)?[A-Za-z0-9]{6}$/.exec(name);
  return m ? { kind: m[1] as ScratchKind, ...(m[2] ? { pid: Number(m[2]) } : {}) } : undefined;
}

export interface RefRecord {
  /** Digest of the image manifest for the chosen platform. */
  manifest: string;
  /** Digest of the index the manifest was chosen from, when the reference named an index. */
  index?: string;
  /** `os/arch[/variant]` the manifest was chosen for. */
  platform: string;
  /** When it was last pulled (ISO time), for `pull_policy: daily` and friends. */
  pulled: string;
  /** Every layer blob is stored. */
  complete: boolean;
}

interface RefsFile {
  version: 1;
  images: Record<string, RefRecord>;
}

export interface StoredImage {
  /** Canonical reference it was recorded under (undefined when opened by digest only). */
  reference?: string;
  manifestDigest: string;
  manifest: Manifest;
  configDigest: string;
  /** The whole config document (architecture, os, config, rootfs, history…). */
  configDoc: Record<string, unknown>;
  config: ImageConfig;
  layers: Descriptor[];
  diffIds: string[];
  chainIds: string[];
  /** Compressed size of config + layers. */
  size: number;
  created?: string;
}

export type BlobOpener = (offset: number) => Promise<{ stream: Readable; offset: number }>;

export function imagesDir(dataDir: string): string {
  return imagesRoot(dataDir);
}

export class ImageStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = imagesDir(dataDir);
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.root, 'blobs', algorithm, hex);
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch {
      throw new CtnrError('IMAGE_NOT_FOUND', `blob ${digest} is not in the image store ${this.root}`);
    }
  }

  readJson(digest: string, what: string): any {
    try {
      return JSON.parse(this.readBlob(digest).toString('utf8'));
    } catch (err) {
      if (err instanceof CtnrError) throw err;
      throw new CtnrError('IMAGE_INVALID', `${what} ${digest} is not JSON`);
    }
  }

  private ensureDirs(): void {
    for (const d of ['blobs/sha256', 'blobs/sha512', 'ingest', 'rootfs']) mkdirSync(path.join(this.root, d), { recursive: true, mode: 0o755 });
  }

  /** Store small bytes (a manifest or config) after checking them against `digest`. */
  writeBytes(digest: string, bytes: Buffer): void {
    if (!matchesDigest(bytes, digest)) throw new CtnrError('IMAGE_DIGEST', `content does not match its digest ${digest}; nothing was stored`);
    const target = this.blobPath(digest);
    if (existsSync(target)) return;
    this.ensureDirs();
    const tmp = `${path.join(this.root, 'ingest', path.basename(target))}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, bytes, { mode: 0o644 });
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new CtnrError('BUNDLE_FAILED', `cannot store blob ${digest} in ${this.root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /**
   * Download `desc` into the store through `open`, verifying size and digest while streaming. A partial file
   * from an interrupted download is re-hashed and resumed from its end (the source decides whether it honours
   * the offset). Another process downloading the same blob is waited for, not raced.
   */
  async ingest(desc: Descriptor, open: BlobOpener, progress?: (e: PullProgress) => void): Promise<{ cached: boolean }> {
    const { algorithm, hex } = parseDigest(desc.digest, 'layer digest');
    if (this.hasBlob(desc.digest)) {
      progress?.({ kind: 'blob-done', digest: desc.digest, size: desc.size, cached: true });
      return { cached: true };
    }
    this.ensureDirs();
    const base = path.join(this.root, 'ingest', `${algorithm}-${hex}`);
    return withLock(`${base}.lock`, async () => {
      if (this.hasBlob(desc.digest)) {
        progress?.({ kind: 'blob-done', digest: desc.digest, size: desc.size, cached: true });
        return { cached: true };
      }
      await this.download(desc, `${base}.partial`, open, progress);
      return { cached: false };
    });
  }

  private async download(desc: Descriptor, partial: string, open: BlobOpener, progress?: (e: PullProgress) => void): Promise<void> {
    const hash = hasherFor(desc.digest);
    let have = 0;
    if (existsSync(partial)) {
      have = statSync(partial).size;
      if (have > desc.size) {
        truncateSync(partial, 0);
        have = 0;
      } else if (have > 0) {
        await new Promise<void>((resolve, reject) => {
          createReadStream(partial, { end: have - 1 }).on('data', (c) => hash.update(c)).on('end', resolve).on('error', reject);
        });
      }
    }
    const { stream, offset } = await open(have);
    let done = have;
    let h = hash;
    if (offset !== have) {
      // The source started over (no Range support): so do we.
      truncateSync(partial, 0);
      h = hasherFor(desc.digest);
      done = 0;
    }
    progress?.({ kind: 'blob-start', digest: desc.digest, size: desc.size, offset: done });
    const out = createWriteStream(partial, { flags: done === 0 ? 'w' : 'a', mode: 0o644 });
    try {
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        const fail = (err: Error) => {
          if (failed) return;
          failed = true;
          stream.destroy();
          // Flush what arrived before the failure: a network error leaves a partial file to resume from.
          if (out.writableEnded || out.destroyed) reject(err);
          else out.end(() => reject(err));
        };
        stream.on('data', (chunk: Buffer) => {
          done += chunk.length;
          if (done > desc.size) return fail(new CtnrError('IMAGE_DIGEST', `blob ${desc.digest} is larger than its descriptor says (${desc.size} bytes); nothing was kept`));
          h.update(chunk);
          if (!out.write(chunk)) {
            stream.pause();
            out.once('drain', () => stream.resume());
          }
          progress?.({ kind: 'blob-progress', digest: desc.digest, size: desc.size, done });
        });
        stream.on('error', (err) => fail(err));
        stream.on('end', () => out.end());
        out.on('error', (err) => fail(err));
        out.on('finish', () => {
          if (!failed) resolve();
        });
      });
    } catch (err) {
      // A digest problem means the partial data is wrong: drop it. A network problem keeps it for resuming.
      if (err instanceof CtnrError && err.code === 'IMAGE_DIGEST') rmSync(partial, { force: true });
      throw err;
    }
    const actual = h.digest('hex');
    if (done !== desc.size || actual !== parseDigest(desc.digest).hex) {
      rmSync(partial, { force: true });
      const what = done !== desc.size ? `has ${done} bytes, expected ${desc.size}` : `hashes to ${parseDigest(desc.digest).algorithm}:${actual}`;
      throw new CtnrError('IMAGE_DIGEST', `blob ${desc.digest} ${what}; nothing was kept`);
    }
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, this.blobPath(desc.digest));
    progress?.({ kind: 'blob-done', digest: desc.digest, size: desc.size, cached: false });
  }

  // ---- references ----

  private refsFile(): string {
    return path.join(this.root, 'refs.json');
  }

  readRefs(): Record<string, RefRecord> {
    const out: Record<string, RefRecord> = Object.create(null);
    let doc: Partial<RefsFile>;
    try {
      doc = JSON.parse(readFileSync(this.refsFile(), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw new CtnrError('IMAGE_INVALID', `${this.refsFile()} is damaged (${(err as Error).message}); remove it and pull again`);
    }
    for (const [ref, rec] of Object.entries(doc.images ?? {})) {
      if (rec && isDigest(rec.manifest)) out[ref] = rec;
    }
    return out;
  }

  /** Change the refs table under its lock (read, change, write a temp file, rename). */
  async updateRefs(change: (refs: Record<string, RefRecord>) => void): Promise<void> {
    this.ensureDirs();
    await withLock(path.join(this.root, 'refs.lock'), () => {
      const refs = this.readRefs();
      change(refs);
      const sorted: Record<string, RefRecord> = {};
      for (const key of Object.keys(refs).sort()) sorted[key] = refs[key]!;
      const tmp = `${this.refsFile()}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ version: 1, images: sorted }, null, 2)}\n`, { mode: 0o644 });
      renameSync(tmp, this.refsFile());
    });
  }

  /** The image a manifest digest describes, read from stored blobs (manifest and config must be present). */
  openImage(manifestDigest: string, reference?: string): StoredImage {
    const manifest = this.readJson(manifestDigest, 'manifest') as Manifest;
    if (!manifest || typeof manifest !== 'object' || !manifest.config || !Array.isArray(manifest.layers)) {
      throw new CtnrError('IMAGE_INVALID', `manifest ${manifestDigest} has no config or layers`);
    }
    const configDigest = parseDigestOf(manifest.config, 'config');
    for (const layer of manifest.layers) parseDigestOf(layer, 'layer');
    const configDoc = this.readJson(configDigest, 'image config');
    const diffIds: unknown = configDoc?.rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length || !diffIds.every(isDigest)) {
      throw new CtnrError('IMAGE_INVALID', `image config ${configDigest}: rootfs.diff_ids must list one digest per layer (${manifest.layers.length})`);
    }
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    return {
      ...(reference ? { reference } : {}),
      manifestDigest,
      manifest,
      configDigest,
      configDoc,
      config: parseImageConfig(configDoc, `image config ${configDigest}`),
      layers: manifest.layers,
      diffIds: diffIds as string[],
      chainIds: chainIds(diffIds as string[]),
      size,
      ...(typeof configDoc.created === 'string' ? { created: configDoc.created } : {}),
    };
  }

  /** A new scratch directory for `kind` (`import`, `build`) in the store's root, named after this process. */
  scratchDir(kind: ScratchKind): string {
    mkdirSync(this.root, { recursive: true });
    return mkdtempSync(path.join(this.root, `.${kind}-${process.pid}-`));
  }

  /** Every blob digest under blobs/. */
  listBlobs(): string[] {
    const out: string[] = [];
    for (const alg of ['sha256', 'sha512']) {
      let names: string[] = [];
      try {
        names = readdirSync(path.join(this.root, 'blobs', alg));
      } catch {
        continue;
      }
      for (const n of names) if (isDigest(`${alg}:${n}`)) out.push(`${alg}:${n}`);
    }
    return out.sort();
  }
}

function parseDigestOf(desc: Descriptor | undefined, what: string): string {
  if (!desc || !isDigest(desc.digest) || typeof desc.size !== 'number' || desc.size < 0) {
    throw new CtnrError('IMAGE_INVALID', `a ${what} descriptor has no valid digest and size`);
  }
  return desc.digest;
}
