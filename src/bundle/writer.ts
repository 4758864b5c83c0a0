import { chmodSync, copyFileSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../linux/pid.js';
import { removeBundleTree, removeOwnTree } from './rootfs-mount.js';
import { CtnrError, isCtnrError } from '../engine/errors.js';
import { describeErrno } from '../linux/errno.js';
import type { Spec } from '../spec/types.js';
import type { BundleFile } from '../engine/types.js';
import type { BundleMetadata } from './metadata.js';

import { bundleFileProblem, bundlePathProblem, CONFIG_FILE, fileContent, METADATA_FILE } from '../engine/bundle-files.js';
import { volumesRoot } from '../linux/data-dir.js';
import { ensurePrivateDir } from './private-dir.js';

export { CONFIG_FILE, METADATA_FILE };

/** The temporary sibling a bundle is built in: same filesystem, so the final rename is atomic. */
export function tempSibling(dir: string, tag = 'tmp'): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.${tag}-${process.pid}`);
}

function bundleError(message: string, cause?: unknown): CtnrError {
  return new CtnrError('BUNDLE_FAILED', message, cause === undefined ? {} : { cause });
}

/** `.NAME.tmp-PID` (a bundle being built) or `.NAME.old-PID` (the bundle it replaces, during the swap). */
const TEMP_NAME = /^\.(.+)\.(tmp|old)-([1-9]\d{0,9})$/;

export interface TempDir {
  /** The entry's name, e.g. `.web.tmp-1234`. */
  name: string;
  dir: string;
  /** The bundle it is for (`web`). */
  bundle: string;
  kind: 'tmp' | 'old';
  pid: number;
  /** The pid is a live process (ours included). A dead one's directory is stale. */
  alive: boolean;
}

/** The temporary directories bundle writes made in `parent` (real directories only, sorted by name). */
export function listTempDirs(parent: string): TempDir[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(parent, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: TempDir[] = [];
  for (const e of entries) {
    const m = TEMP_NAME.exec(e.name);
    if (!m || !e.isDirectory()) continue;
    const pid = Number(m[3]);
    out.push({ name: e.name, dir: path.join(parent, e.name), bundle: m[1]!, kind: m[2] as 'tmp' | 'old', pid, alive: processAlive(pid) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Collect what bundle writes killed with -9 left in `parent`: a `.NAME.tmp-PID` of a dead process is removed (it
 * never became a bundle); a `.NAME.old-PID` is the bundle that process was replacing, put back as NAME when
 * nothing took its place, else removed. Directories of live processes are left alone (a pid reused since only
 * delays the collection). Best effort: a failure here never fails the write that triggered it.
 */
export function collectStaleTempDirs(parent: string): void {
  for (const t of listTempDirs(parent)) {
    if (t.alive) continue;
    try {
      const target = path.join(parent, t.bundle);
      if (t.kind === 'old' && !occupied(target) && isCtnrBundle(t.dir)) renameSync(t.dir, target);
      // Unmounted first: a write killed after mounting an overlay root filesystem in it left the mount.
      else removeBundleTree(t.dir);
    } catch {
      /* another writer collected it first, a mount is busy, or it is not ours to remove */
    }
  }
}

/** `files/etc/hosts` → its segments, checked by the same rules the engine applied (src/engine/bundle-files.ts). */
export function checkBundlePath(p: string): string[] {
  const problem = bundlePathProblem(p);
  if (problem !== undefined) throw bundleError(`bundle file path ${JSON.stringify(p)}: ${problem}`);
  return p.split('/');
}

/**
 * Create `segs` below `root` one directory at a time, never following a symlink (an unpacked image may hold
 * `etc -> /etc`; a bundle file must not land on the host through it).
 */
function ensureDirs(root: string, segs: readonly string[], secretDirs: ReadonlySet<string>): void {
  let cur = root;
  let rel = '';
  for (const seg of segs) {
    cur = path.join(cur, seg);
    rel = rel ? `${rel}/${seg}` : seg;
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      st = undefined;
    }
    if (st === undefined) {
      const mode = secretDirs.has(rel) ? 0o700 : 0o755;
      mkdirSync(cur, { mode });
      chmodSync(cur, mode); // mkdir's mode is filtered by the umask
      continue;
    }
    if (st.isSymbolicLink()) throw bundleError(`bundle path ${rel} is a symlink; refusing to write through it`);
    if (!st.isDirectory()) throw bundleError(`bundle path ${rel} exists and is not a directory`);
  }
}

function applyOwner(file: string, f: BundleFile): void {
  if (f.uid === undefined && f.gid === undefined) return;
  const uid = f.uid ?? -1;
  const gid = f.gid ?? -1;
  try {
    lchownSync(file, uid, gid);
  } catch (err) {
    throw bundleError(`cannot give ${f.path} to ${uid}:${gid}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
  }
}

/** Write every bundle file below `root` with its mode and owner. Folders holding secret files are 0700. */
export function writeBundleFiles(root: string, files: readonly BundleFile[]): void {
  // Every directory that (directly) holds a secret file: created 0700, and a declared mode is narrowed to
  // the owner, so other host users cannot list or read secrets while the bundle sits on disk.
  const secretDirs = new Set<string>();
  for (const f of files) {
    if (!f.secret) continue;
    const segs = checkBundlePath(f.path);
    if (segs.length > 1) secretDirs.add(segs.slice(0, -1).join('/'));
  }
  // Directories first (shallow to deep), so a declared directory's mode and owner win over implicit parents.
  const ordered = [...files].sort((a, b) => {
    const ka = a.kind === 'directory' ? 0 : 1;
    const kb = b.kind === 'directory' ? 0 : 1;
    return ka - kb || checkBundlePath(a.path).length - checkBundlePath(b.path).length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  });
  for (const f of ordered) {
    const segs = checkBundlePath(f.path);
    const rel = segs.join('/');
    // The engine checked these when the plugin declared them; a caller of this writer may not have used the engine.
    const problem = bundleFileProblem(f);
    if (problem !== undefined) throw bundleError(`bundle ${f.kind === 'directory' ? 'directory' : 'file'} ${rel}: ${problem}`);
    ensureDirs(root, segs.slice(0, -1), secretDirs);
    const target = path.join(root, ...segs);
    let existing;
    try {
      existing = lstatSync(target);
    } catch {
      existing = undefined;
    }
    if (existing?.isSymbolicLink()) throw bundleError(`bundle path ${rel} is a symlink; refusing to write through it`);
    if (f.kind === 'directory') {
      let mode = f.mode ?? 0o755;
      if (secretDirs.has(rel)) mode &= 0o700;
      if (existing && !existing.isDirectory()) throw bundleError(`bundle path ${rel} exists and is not a directory`);
      if (!existing) mkdirSync(target, { mode });
      chmodSync(target, mode);
      applyOwner(target, f);
      continue;
    }
    if (existing?.isDirectory()) throw bundleError(`bundle path ${rel} is a directory, cannot write a file there`);
    const mode = f.mode ?? (f.secret ? 0o600 : 0o644);
    if (f.copyFrom !== undefined) {
      try {
        if (!statSync(f.copyFrom).isFile()) throw new Error('not a regular file');
        copyFileSync(f.copyFrom, target);
      } catch (err) {
        // Never echo secret content; the source path is safe to name.
        throw bundleError(`cannot copy ${f.copyFrom} into the bundle as ${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
      }
    } else {
      writeFileSync(target, fileContent(f)!, { mode });
    }
    chmodSync(target, mode);
    applyOwner(target, f);
  }
}

function isBind(m: { type?: string; options?: string[] }): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export interface MountSourcePlan {
  /** Named volume directories to create (absolute, below `<dataDir>/volumes/`). */
  volumes: string[];
  /** Bundle-relative directories to create (anonymous volume dirs nobody declared). */
  bundleDirs: string[];
}

/**
 * Decide what every bind mount's source needs, before anything is created:
 * - a source below `<dataDir>/volumes/` is a named volume directory: created (mkdir -p, 0755) when missing;
 * - a relative source is bundle-relative (runtimes join it with the bundle dir): created when missing;
 * - any other missing source is an error (docker would create it; compose users expect the error).
 */
export function planMountSources(spec: Spec, bundleDir: string, dataDir: string, declared: ReadonlySet<string>, hostDirs: ReadonlySet<string> = new Set()): MountSourcePlan {
  const volumes = volumesRoot(path.resolve(dataDir));
  const out: MountSourcePlan = { volumes: [], bundleDirs: [] };
  (spec.mounts ?? []).forEach((m, i) => {
    if (!isBind(m) || m.source === undefined || m.source === '') return;
    const src = m.source;
    if (!path.isAbsolute(src)) {
      const segs = src.split('/').filter((s) => s !== '' && s !== '.');
      if (segs.length === 0 || segs.includes('..')) throw bundleError(`mounts[${i}] (${m.destination}): relative source "${src}" must stay inside the bundle`);
      const rel = segs.join('/');
      if (!declared.has(rel) && !existsSync(path.join(bundleDir, rel))) out.bundleDirs.push(rel);
      return;
    }
    const norm = path.normalize(src);
    if (inside(norm, volumes)) {
      if (!existsSync(norm)) out.volumes.push(norm);
      return;
    }
    // A plugin asked for this directory (a bind with create_host_path): created with the volumes, last.
    if (!existsSync(norm) && hostDirs.has(norm)) out.volumes.push(norm);
    else if (!existsSync(norm)) throw bundleError(`mounts[${i}] (${m.destination}): bind mount source ${src} does not exist`);
  });
  out.volumes = [...new Set(out.volumes)].sort();
  out.bundleDirs = [...new Set(out.bundleDirs)].sort();
  return out;
}

/** Something is at `p` (a dangling symlink counts: it is not ours to rename over). */
function occupied(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * A directory ctnr wrote: a real directory (not a symlink to one) holding the ctnr.json metadata file of a
 * bundle. `bundle create --force` and `bundle rm` delete nothing else, so a mistyped path or a hostile service
 * name cannot wipe a project directory.
 */
export function isCtnrBundle(dir: string): boolean {
  try {
    if (!lstatSync(dir).isDirectory()) return false;
    const meta = path.join(dir, METADATA_FILE);
    if (!lstatSync(meta).isFile()) return false;
    const doc = JSON.parse(readFileSync(meta, 'utf8')) as { version?: unknown; service?: unknown } | null;
    return doc !== null && typeof doc === 'object' && doc.version === 1 && typeof doc.service === 'string';
  } catch {
    return false;
  }
}

/** What is at `dir` may be replaced: nothing, or (with force) a ctnr bundle. Anything else is refused by name. */
function checkReplaceable(dir: string, force: boolean): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (!force) throw new CtnrError('BUNDLE_EXISTS', `bundle ${dir} already exists (use --force to replace it)`);
  if (isCtnrBundle(dir)) return;
  const what = st.isSymbolicLink() ? 'is a symlink' : st.isDirectory() ? `is a directory but not a ctnr bundle (no ${METADATA_FILE})` : 'is not a directory';
  throw new CtnrError('BUNDLE_EXISTS', `${dir} ${what}; --force replaces only a bundle ctnr created, so it is left alone`);
}

/** Move an old bundle out of the way, the new one in, then delete the old one; restore it if the swap fails. */
function swapInto(tmp: string, dir: string, force: boolean): void {
  // Checked again right before the rename: the directory may have changed since staging began.
  checkReplaceable(dir, force);
  if (!occupied(dir)) {
    renameSync(tmp, dir);
    return;
  }
  const old = tempSibling(dir, 'old');
  removeBundleTree(old);
  renameSync(dir, old);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    renameSync(old, dir);
    throw err;
  }
  removeBundleTree(old);
}

export interface CommitOptions {
  spec: Spec;
  files?: readonly BundleFile[];
  metadata: BundleMetadata;
  /** Where named volumes live: every bind source below `<dataDir>/volumes/` is created when missing. */
  dataDir: string;
  /** Host directories plugins asked for (Result.hostDirs): created when missing, like named volumes. */
  hostDirs?: readonly string[];
}

/**
 * A bundle being built: everything goes into a temporary sibling directory (`.<name>.tmp-<pid>`, same
 * filesystem) and `commit` renames it into place. `abort` (or any failing commit) removes it, so on error
 * nothing is left behind and an existing bundle at `dir` is untouched. An existing bundle is replaced only
 * with `force`.
 */
export class BundleStaging {
  readonly dir: string;
  readonly tmp: string;
  private readonly force: boolean;
  private done = false;

  constructor(dir: string, force = false) {
    this.dir = path.resolve(dir);
    this.force = force;
    checkReplaceable(this.dir, force);
    this.tmp = tempSibling(this.dir);
    let created = false;
    try {
      mkdirSync(path.dirname(this.dir), { recursive: true });
      collectStaleTempDirs(path.dirname(this.dir));
      removeOwnTree(this.tmp); // a leftover of a crashed run with a recycled pid
      mkdirSync(this.tmp, { mode: 0o755 });
      created = true;
      chmodSync(this.tmp, 0o755); // a runtime in a user namespace must traverse it to reach a bundle-relative rootfs
    } catch (err) {
      if (created) removeQuietly(this.tmp);
      throw bundleError(`cannot write bundle ${this.dir}: ${describeErrno(err)}`, err);
    }
  }

  commit(opts: CommitOptions): string {
    if (this.done) throw new Error('bundle staging already finished');
    try {
      const files = opts.files ?? [];
      writeBundleFiles(this.tmp, files);
      const declared = new Set(files.map((f) => checkBundlePath(f.path).join('/')));
      const plan = planMountSources(opts.spec, this.tmp, opts.dataDir, declared, new Set((opts.hostDirs ?? []).map((d) => path.normalize(d))));
      for (const rel of plan.bundleDirs) ensureDirs(this.tmp, rel.split('/'), new Set());
      // The container's environment is in it (secrets from env files too): the owner's alone, as docker keeps it.
      // The runtime reads it as its owner (root, or the rootless user).
      writeFileSync(path.join(this.tmp, CONFIG_FILE), JSON.stringify(opts.spec, null, 2) + '\n', { mode: 0o600 });
      writeFileSync(path.join(this.tmp, METADATA_FILE), JSON.stringify(opts.metadata, null, 2) + '\n', { mode: 0o644 });
      // Named volumes outlive bundles and are shared, so they are created last, once the bundle is complete, in a
      // directory of the owner's alone (./private-dir.ts).
      const volumes = volumesRoot(path.resolve(opts.dataDir));
      if ((opts.spec.mounts ?? []).some((m) => isBind(m) && m.source !== undefined && inside(path.normalize(m.source), volumes))) ensurePrivateDir(volumes);
      for (const v of plan.volumes) mkdirSync(v, { recursive: true, mode: 0o755 });
      swapInto(this.tmp, this.dir, this.force);
      this.done = true;
      return this.dir;
    } catch (err) {
      this.abort();
      if (isCtnrError(err)) throw err;
      throw bundleError(`cannot write bundle ${this.dir}: ${describeErrno(err)}`, err);
    }
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    removeQuietly(this.tmp);
  }
}

/** Cleanup after a failure must not hide the failure itself. */
function removeQuietly(dir: string): void {
  try {
    removeOwnTree(dir);
  } catch {
    /* the original error is the one to report */
  }
}

/** Write a complete bundle atomically (see BundleStaging). `prepare` may fill the temporary directory first. */
export async function writeBundle(opts: CommitOptions & { dir: string; force?: boolean; prepare?: (tmpDir: string) => void | Promise<void> }): Promise<string> {
  const staging = new BundleStaging(opts.dir, opts.force);
  try {
    await opts.prepare?.(staging.tmp);
  } catch (err) {
    staging.abort();
    throw err;
  }
  return staging.commit(opts);
}
