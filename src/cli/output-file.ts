import { chmodSync, chownSync, closeSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { describeErrno, errnoCode } from '../linux/errno.js';

/**
 * `-o FILE` / `--report FILE` behave like a shell redirect (`> FILE`), except that a regular file is replaced
 * atomically (a reader never sees half a config.json):
 * - a character device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe) is written through, never
 *   replaced: renaming over `/dev/null` would turn the host's device into a regular file;
 * - a symlink is followed: its target is written (a dangling one creates the target, as `>` does);
 * - a regular file (or a missing one) gets a temporary sibling in the same directory, renamed over it; the
 *   temporary file is removed on any failure, and the old file keeps its mode (and owner, when we may set it);
 * - parent directories are never created; a missing one, a directory target, a read-only filesystem or a
 *   full disk is a one-line OUTPUT_FAILED error.
 */
export function writeOutputFile(file: string, data: string): void {
  const target = followSymlinks(file);
  const st = statOrUndefined(target, file);
  if (st?.isDirectory()) throw outputError(file, 'EISDIR');
  if (st && !st.isFile()) return writeThrough(target, file, data);
  replaceRegular(target, file, data, st);
}

/** What a failed write says: the file as the user gave it, the reason in words, the errno code for scripts. */
function outputError(file: string, code: string | undefined, cause?: unknown): CtnrError {
  const reason = code ? describeErrno({ code }, { ENOENT: 'its directory does not exist' }) : describeErrno(cause);
  return new CtnrError('OUTPUT_FAILED', `cannot write ${file}: ${reason}`, cause === undefined ? {} : { cause });
}

const errnoOf = errnoCode;

/** `file` with every symlink on its last component resolved (parents are left to the kernel). */
function followSymlinks(file: string): string {
  let cur = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(cur);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return cur;
      throw outputError(file, errnoOf(err), err);
    }
    if (!st.isSymbolicLink()) return cur;
    cur = path.resolve(path.dirname(cur), readlinkSync(cur));
  }
  throw outputError(file, 'ELOOP');
}

function statOrUndefined(target: string, file: string): Stats | undefined {
  try {
    return statSync(target);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw outputError(file, errnoOf(err), err);
  }
}

/** A device or pipe: open it for writing as `>` would (a FIFO waits for its reader) and write everything. */
function writeThrough(target: string, file: string, data: string): void {
  try {
    writeFileSync(target, data);
  } catch (err) {
    throw outputError(file, errnoOf(err), err);
  }
}

function replaceRegular(target: string, file: string, data: string, old: Stats | undefined): void {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  let created = false;
  try {
    // `wx`: never reuse (or follow) something already at the temporary name.
    const fd = openSync(tmp, 'wx', 0o666);
    created = true;
    try {
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (old) keepOwnerAndMode(tmp, old);
    renameSync(tmp, target);
    created = false;
  } catch (err) {
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
    throw outputError(file, errnoOf(err), err);
  }
}

/** As a redirect would leave it: the replaced file's permission bits, and its owner when we are allowed to. */
function keepOwnerAndMode(tmp: string, old: Stats): void {
  chmodSync(tmp, old.mode & 0o7777);
  if (process.getuid?.() === 0 && (old.uid !== 0 || old.gid !== 0)) {
    try {
      chownSync(tmp, old.uid, old.gid);
    } catch {
      /* best effort: a filesystem without ownership keeps ours */
    }
  }
}
