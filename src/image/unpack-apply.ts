import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync,
  readdirSync, rmSync, symlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { mappedUpTo, toHostId } from './unpack-ids.js';
import { displayName, readTar, type TarEntry, type TarHeader } from './tar.js';
import type { IdMapping, ImageWarning } from './types.js';
import { NodeQueue } from './unpack-nodes.js';
import { cleanComponents, fsPath, lstatOrUndefined, resolveInRoot, type Resolved } from './unpack-path.js';
import { setXattrs } from './unpack-xattr.js';

/**
 * Apply one uncompressed layer tar to a root filesystem (image-spec layer.md "Applying changesets"), the way
 * containerd's applyNaive does: whiteouts remove what lower layers put there; an opaque directory loses what
 * lower layers put in it but keeps what this layer adds, wherever its marker sits in the archive; an existing
 * non-directory is replaced, an existing directory is kept when the entry is a directory too; owners before
 * modes (chown clears setuid bits and file capabilities); directories' modes and times last, once nothing else
 * is written into them. Every path goes through unpack-path.ts, so nothing outside the root is touched.
 */

export interface ApplyTarOptions {
  /** We may chown (and, outside a user namespace, make device nodes). */
  privileged: boolean;
  /** Running inside a user namespace made for the unpacking: device nodes are skipped, as containerd does. */
  userNamespace?: boolean;
  /** Privileged only: the host ids that image ids become. */
  idMapping?: IdMapping;
  /** Unprivileged: why owners cannot be kept, for the one warning that says they were not. */
  squashHint?: string;
}

export interface ApplyTarResult {
  warnings: ImageWarning[];
  entries: number;
}

export async function applyTar(rootDir: string, tar: AsyncIterable<Buffer>, opts: ApplyTarOptions): Promise<ApplyTarResult> {
  const applier = new LayerApplier(Buffer.from(path.resolve(rootDir), 'utf8').toString('latin1'), opts);
  for await (const entry of readTar(tar)) await applier.apply(entry);
  applier.finish();
  return applier.result();
}

/** Warnings grouped by what went wrong, so a layer of 500 device nodes gives one line, not 500. */
class Warnings {
  private readonly groups = new Map<string, { code: string; what: string; names: string[]; count: number }>();

  add(code: string, what: string, name: string): void {
    const key = `${code}\0${what}`;
    const g = this.groups.get(key) ?? { code, what, names: [], count: 0 };
    this.groups.set(key, g);
    g.count++;
    if (g.names.length < 3) g.names.push(`/${displayName(name).replace(/^\.?\/+/, '')}`);
  }

  list(): ImageWarning[] {
    return [...this.groups.values()].map((g) => ({
      code: g.code,
      message: `${g.what}: ${g.names.join(', ')}${g.count > g.names.length ? ` and ${g.count - g.names.length} more` : ''}`,
    }));
  }
}

interface DeferredDir {
  components: string[];
  name: string;
  path: string;
  dev: number;
  ino: number;
  mode: number;
  atime: number;
  mtime: number;
}

class LayerApplier {
  private entries = 0;
  private readonly warnings = new Warnings();
  /** Host paths this layer wrote, and every directory above one: what an opaque marker must keep. */
  private readonly unpacked = new Set<string>();
  private readonly within = new Set<string>();
  private readonly opaqueDone = new Set<string>();
  /** Real directories met so far (see resolveInRoot); emptied by every removal. */
  private readonly knownDirs = new Set<string>();
  private readonly dirs: DeferredDir[] = [];
  /** Unprivileged: lower directories we had to make writable, with the mode to give back. */
  private readonly madeWritable = new Map<string, { mode: number; dev: number; ino: number }>();
  private readonly nodes: NodeQueue;
  private squashed = 0;
  private readonly root: string;
  private readonly opts: ApplyTarOptions;

  constructor(root: string, opts: ApplyTarOptions) {
    this.root = root;
    this.opts = opts;
    this.nodes = new NodeQueue(root, (node, reason) => this.warnings.add('DEVICE_SKIPPED', `could not create device nodes or FIFOs (${reason})`, node.name));
  }

  result(): ApplyTarResult {
    const warnings = this.warnings.list();
    if (this.squashed > 0) {
      warnings.unshift({
        code: 'OWNER_SQUASHED',
        message: `${this.squashed} file(s) owned by other users or groups in the image were unpacked as owned by you${this.opts.squashHint ? `: ${this.opts.squashHint}` : ''}`,
      });
    }
    return { warnings, entries: this.entries };
  }

  async apply(entry: TarEntry): Promise<void> {
    this.entries++;
    const h = entry.header;
    try {
      await this.applyEntry(h, entry.body);
    } catch (err) {
      if (err instanceof CtnrError) throw err;
      throw new CtnrError('IMAGE_UNPACK', `layer entry ${displayName(h.name)}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async applyEntry(h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    if (h.name.includes('\0') || h.linkname.includes('\0')) throw new CtnrError('IMAGE_UNPACK', `layer entry ${JSON.stringify(displayName(h.name))}: a name holds a NUL byte`);
    const components = cleanComponents(h.name);
    const base = components[components.length - 1] ?? '';
    if (base.startsWith('.wh.')) return this.whiteout(components, h.name);
    if (h.type === undefined) return this.warnings.add('ENTRY_SKIPPED', `tar entries of type '${h.typeflag}' are not unpacked`, h.name);
    if ((h.type === 'char' || h.type === 'block') && (!this.opts.privileged || this.opts.userNamespace)) {
      return this.warnings.add('DEVICE_SKIPPED', this.opts.userNamespace ? 'device nodes cannot be created in a user namespace' : 'device nodes need root', h.name);
    }
    // The root itself ("./"): its mode belongs to whoever made the root (containerd ignores it too).
    if (components.length === 0) return;

    let r = this.resolve(components, h.name);
    let linkTarget: string | undefined;
    if (h.type === 'hardlink') linkTarget = this.hardlinkTarget(h);
    if (this.nodes.touches(r.path) || (linkTarget !== undefined && this.nodes.touches(linkTarget))) {
      this.nodes.flush();
      r = this.resolve(components, h.name);
    }
    if (linkTarget === r.path) return; // a hard link to itself: already there
    this.makeParents(r);
    if (!this.opts.privileged) this.makeWritable(r.parent);
    const existing = lstatOrUndefined(r.path);
    if (existing && !(existing.isDirectory() && h.type === 'directory')) this.remove(r.path);
    const p = fsPath(r.path);

    switch (h.type) {
      case 'directory': {
        if (!existing?.isDirectory()) mkdirSync(p, { mode: 0o700 });
        this.chown(r.path, h, undefined);
        this.xattrs(r.path, h);
        const st = lstatOrUndefined(r.path)!;
        this.dirs.push({ components, name: h.name, path: r.path, dev: st.dev, ino: st.ino, mode: h.mode, atime: h.atime ?? h.mtime, mtime: h.mtime });
        break;
      }
      case 'file': {
        const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
          this.chown(r.path, h, fd);
          fchmodSync(fd, h.mode);
          futimesSync(fd, h.atime ?? h.mtime, h.mtime);
        } finally {
          closeSync(fd);
        }
        this.xattrs(r.path, h);
        break;
      }
      case 'symlink':
        // Verbatim, absolute targets included: they mean the container's root, and are resolved by the kernel then.
        symlinkSync(fsPath(h.linkname), p);
        this.chown(r.path, h, undefined);
        this.xattrs(r.path, h);
        lutimesSync(p, h.atime ?? h.mtime, h.mtime);
        break;
      case 'hardlink':
        linkSync(fsPath(linkTarget!), p);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        this.nodes.add({
          path: r.path, name: h.name, kind: h.type, major: h.devmajor, minor: h.devminor,
          finish: (at) => {
            this.chown(at, h, undefined);
            chmodSync(fsPath(at), h.mode);
            lutimesSync(fsPath(at), h.atime ?? h.mtime, h.mtime);
          },
        });
        break;
    }
    this.markUnpacked(r.path);
  }

  /** Where a hard link points: resolved inside the root like any name, and it must exist and not be a directory. */
  private hardlinkTarget(h: TarHeader): string {
    const components = cleanComponents(h.linkname);
    const what = `hard link ${displayName(h.name)} -> ${displayName(h.linkname)}`;
    if (components.length === 0) throw new CtnrError('IMAGE_UNPACK', `${what}: a hard link cannot point at the root`);
    const t = this.resolve(components, h.name);
    // A queued node the link points at must exist before link(2) runs.
    if (this.nodes.touches(t.path)) this.nodes.flush();
    const st = t.missing.length === 0 ? lstatOrUndefined(t.path) : undefined;
    if (!st) throw new CtnrError('IMAGE_UNPACK', `${what}: the target is not in this layer or below it`);
    if (st.isDirectory()) throw new CtnrError('IMAGE_UNPACK', `${what}: the target is a directory`);
    return t.path;
  }

  private whiteout(components: string[], name: string): void {
    const base = components[components.length - 1]!;
    const dir = components.slice(0, -1);
    if (base === '.wh..wh..opq') return this.opaque(dir, name);
    if (base.startsWith('.wh..wh.')) return; // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): nothing to apply
    const target = base.slice('.wh.'.length);
    if (target === '' || target === '.' || target === '..') throw new CtnrError('IMAGE_UNPACK', `layer entry ${displayName(name)}: invalid whiteout name`);
    const r = this.resolve([...dir, target], name);
    if (r.missing.length === 0 && lstatOrUndefined(r.path)) this.remove(r.path);
  }

  private opaque(dir: string[], name: string): void {
    // Resolving a child of the directory resolves the directory itself, symlinks inside the root included.
    const r = this.resolve([...dir, '.wh..wh..opq'], name);
    if (r.missing.length > 0 || this.opaqueDone.has(r.parent)) return;
    this.opaqueDone.add(r.parent);
    this.nodes.flush();
    this.removeLower(r.parent);
  }

  /** Remove what is in `dir` but not from this layer; descend where this layer wrote something below. */
  private removeLower(dir: string): void {
    for (const child of readdirSync(fsPath(dir), { encoding: 'buffer' })) {
      const p = `${dir}/${child.toString('latin1')}`;
      if (this.unpacked.has(p) || this.within.has(p)) {
        if (lstatOrUndefined(p)?.isDirectory()) this.removeLower(p);
      } else {
        this.remove(p);
      }
    }
  }

  private resolve(components: string[], name: string): Resolved {
    return resolveInRoot(this.root, components, name, this.knownDirs);
  }

  private markUnpacked(p: string): void {
    this.unpacked.add(p);
    for (let i = p.lastIndexOf('/'); i > this.root.length; i = p.lastIndexOf('/', i - 1)) {
      const dir = p.slice(0, i);
      if (this.within.has(dir)) break;
      this.within.add(dir);
    }
  }

  private makeParents(r: Resolved): void {
    for (const dir of r.missing) {
      if (!this.opts.privileged) this.makeWritable(dir.slice(0, dir.lastIndexOf('/')));
      mkdirSync(fsPath(dir), { mode: 0o755 });
      // Implicit parents belong to the image's root, as with `tar -x`.
      this.chownIds(dir, 0, 0, undefined, dir);
      this.markUnpacked(dir);
    }
  }

  /** Unprivileged only: a lower layer's read-only directory gets owner rwx until the layer is done. */
  private makeWritable(dir: string): void {
    if (this.madeWritable.has(dir) || dir.length < this.root.length) return;
    const st = lstatOrUndefined(dir);
    if (!st?.isDirectory() || (st.mode & 0o700) === 0o700 || st.uid !== process.getuid?.()) return;
    this.madeWritable.set(dir, { mode: st.mode & 0o7777, dev: st.dev, ino: st.ino });
    chmodSync(fsPath(dir), (st.mode & 0o7777) | 0o700);
  }

  private remove(p: string): void {
    if (this.nodes.touches(p)) this.nodes.flush();
    this.knownDirs.clear();
    if (!this.opts.privileged) this.makeWritable(p.slice(0, p.lastIndexOf('/')));
    try {
      rmSync(fsPath(p), { recursive: true, force: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (this.opts.privileged || (code !== 'EACCES' && code !== 'EPERM')) throw err;
      // Unprivileged: a read-only directory in the way; open up the tree (nothing in it stays) and retry.
      this.openUp(p);
      rmSync(fsPath(p), { recursive: true, force: true });
    }
  }

  private openUp(p: string): void {
    const st = lstatOrUndefined(p);
    if (!st?.isDirectory()) return;
    chmodSync(fsPath(p), 0o700);
    for (const child of readdirSync(fsPath(p), { encoding: 'buffer' })) this.openUp(`${p}/${child.toString('latin1')}`);
  }

  private chown(p: string, h: TarHeader, fd: number | undefined): void {
    this.chownIds(p, h.uid, h.gid, fd, h.name);
  }

  private chownIds(p: string, uid: number, gid: number, fd: number | undefined, name: string): void {
    if (!this.opts.privileged) {
      if (uid !== 0 || gid !== 0) this.squashed++;
      return;
    }
    const m = this.opts.idMapping;
    const hostUid = m ? toHostId(m.uids, uid) : uid;
    const hostGid = m ? toHostId(m.gids, gid) : gid;
    if (hostUid === undefined || hostGid === undefined) {
      throw new CtnrError('IMAGE_UNPACK', `layer entry ${displayName(name)}: owner ${uid}:${gid} is outside the id mapping (uids 0-${mappedUpTo(m!.uids)}, gids 0-${mappedUpTo(m!.gids)})`);
    }
    try {
      if (fd === undefined) lchownSync(fsPath(p), hostUid, hostGid);
      else fchownSync(fd, hostUid, hostGid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL' && this.opts.userNamespace) {
        throw new CtnrError('IMAGE_UNPACK', `layer entry ${displayName(name)}: owner ${uid}:${gid} is not mapped in the user namespace: the subordinate id ranges in /etc/subuid and /etc/subgid are too small for this image`, { cause: err });
      }
      throw err;
    }
  }

  private xattrs(p: string, h: TarHeader): void {
    if (h.xattrs.size === 0) return;
    for (const { name, reason } of setXattrs(p, h.xattrs)) this.warnings.add('XATTR_SKIPPED', `extended attribute ${name} not kept (${reason})`, h.name);
  }

  /** After the last entry: queued nodes, then modes and times of this layer's directories, deepest first. */
  finish(): void {
    this.nodes.flush();
    for (const [dir, was] of this.madeWritable) {
      if (this.stillThere(dir, dir.slice(this.root.length + 1).split('/'), was)) chmodSync(fsPath(dir), was.mode);
    }
    for (const d of this.dirs.reverse()) {
      if (!this.stillThere(d.path, d.components, d)) continue;
      chmodSync(fsPath(d.path), d.mode);
      lutimesSync(fsPath(d.path), d.atime, d.mtime);
    }
  }

  /**
   * Whether the directory met at `hostPath` earlier in the layer is still there, reached through real directories
   * only. A later entry may have replaced it or a directory above it by a symlink; then chmod would follow that.
   */
  private stillThere(hostPath: string, components: string[], was: { dev: number; ino: number }): boolean {
    let now: Resolved;
    try {
      now = resolveInRoot(this.root, components, hostPath);
    } catch {
      return false;
    }
    const st = now.path === hostPath ? lstatOrUndefined(hostPath) : undefined;
    return st !== undefined && st.isDirectory() && st.dev === was.dev && st.ino === was.ino;
  }
}
