import { chownSync, closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Replace `file` with `content` atomically: a temporary file in the same directory (so the rename stays on one
 * filesystem), flushed (unless `durable` is false: a cache), then renamed over it. A reader (the real runtime, a second create) sees the old file or the
 * new one, never half of it. The new file keeps the old one's mode and, as root, its owner (rootless podman's
 * bundle belongs to the user).
 */
export function writeAtomic(file: string, content: string, like?: { mode: number; uid: number; gid: number }, durable = true): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.ctnr-${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  const mode = like ? like.mode & 0o7777 : 0o644;
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      fchmodSync(fd, mode); // exactly the old mode, whatever the umask
      writeSync(fd, content);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (like && process.getuid?.() === 0) {
      const now = statSync(tmp);
      if (now.uid !== like.uid || now.gid !== like.gid) chownSync(tmp, like.uid, like.gid);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
