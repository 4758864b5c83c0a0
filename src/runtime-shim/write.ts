import { closeSync, fchmodSync, fchownSync, fstatSync, fsync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The mode and owner a replaced file keeps. */
export interface FileLike {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Replace `file` with `content` atomically: a temporary file in the same directory (so the rename stays on one
 * filesystem), flushed (unless `durable` is false: a cache), then renamed over it. A reader (the real runtime, a second create) sees the old file or the
 * new one, never half of it. The new file keeps the old one's mode and, as root, its owner (rootless podman's
 * bundle belongs to the user).
 */
export function writeAtomic(file: string, content: string, like?: FileLike, durable = true): void {
  const { tmp, fd } = openTemp(file, content, like);
  try {
    try {
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `writeAtomic` (durable) for several files at once: every temporary file is written and flushed before the first
 * rename, then they are renamed in the order given. The flushes run side by side (libuv's threads and this one):
 * the disk's journal commits them together, where one after the other each waited for a commit of its own (about 6 ms each
 * on these machines). A failure before the renames leaves every file as it was.
 */
export async function writeAtomicAll(files: ReadonlyArray<{ file: string; content: string; like?: FileLike }>): Promise<void> {
  const temps: Array<{ tmp: string; fd: number }> = [];
  try {
    try {
      for (const f of files) temps.push(openTemp(f.file, f.content, f.like));
      // All but the last on libuv's threads, the last here meanwhile (starting the threads takes a moment).
      const others = Promise.all(temps.slice(0, -1).map(({ fd }) => new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())))));
      try {
        if (temps.length > 0) fsyncSync(temps[temps.length - 1]!.fd);
      } finally {
        await others.catch(() => undefined); // its failure is thrown below; the descriptors close only once it is done
      }
      await others;
    } finally {
      for (const { fd } of temps) closeSync(fd);
    }
    for (const [i, f] of files.entries()) renameSync(temps[i]!.tmp, f.file);
  } catch (err) {
    for (const { tmp } of temps) rmSync(tmp, { force: true }); // those already renamed are gone: force
    throw err;
  }
}

/**
 * A temporary file beside `file` holding `content`, open: with `like`'s mode exactly (whatever the umask) and, as
 * root, its owner (rootless podman's bundle belongs to the user); else 0644.
 */
function openTemp(file: string, content: string, like: FileLike | undefined): { tmp: string; fd: number } {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.ctnr-${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  const mode = like ? like.mode & 0o7777 : 0o644;
  const fd = openSync(tmp, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, content);
    if (like && process.getuid?.() === 0) {
      const now = fstatSync(fd);
      if (now.uid !== like.uid || now.gid !== like.gid) fchownSync(fd, like.uid, like.gid);
    }
    return { tmp, fd };
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
