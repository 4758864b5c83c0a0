import { chmodSync, chownSync, closeSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { spawnSync } from 'node:child_process';
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
  const tmp = writeTemporary(target, file, data, old, true);
  renameOver(tmp, target, file);
}

/** The sibling temporary file a regular target is written to, then renamed over it. */
function writeTemporary(target: string, file: string, data: string, old: Stats | undefined, sync: boolean): string {
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
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (old) keepOwnerAndMode(tmp, old);
    return tmp;
  } catch (err) {
    if (created) removeQuietly(tmp);
    throw outputError(file, errnoOf(err), err);
  }
}

function renameOver(tmp: string, target: string, file: string): void {
  try {
    renameSync(tmp, target);
  } catch (err) {
    removeQuietly(tmp);
    throw outputError(file, errnoOf(err), err);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/**
 * Many output files at once (`ctnr spec --all -o DIR`), with the same guarantees as writeOutputFile: each
 * regular file is written to a temporary sibling and renamed over its target, and no rename happens before the
 * data is on disk. The difference is the cost: instead of one fsync per file (about 2 ms each on a VM disk, so
 * 2 s for 1,000 specs) the batch flushes its files' filesystem once (`sync -f`, one syncfs) before renaming
 * them all; where that is unavailable it falls back to fsync per file. Devices and FIFOs are written through
 * at once, as a redirect would.
 */
export class OutputBatch {
  private pending: Array<{ tmp: string; target: string; file: string }> = [];

  get size(): number {
    return this.pending.length;
  }

  add(file: string, data: string): void {
    const target = followSymlinks(file);
    const st = statOrUndefined(target, file);
    if (st?.isDirectory()) throw outputError(file, 'EISDIR');
    if (st && !st.isFile()) return writeThrough(target, file, data);
    this.pending.push({ tmp: writeTemporary(target, file, data, st, false), target, file });
  }

  /** Make the pending files durable, rename them into place, and return them (as given) in the order added. */
  flush(): string[] {
    const batch = this.pending;
    this.pending = [];
    try {
      makeDurable(batch.map((p) => p.tmp));
    } catch (err) {
      for (const p of batch) removeQuietly(p.tmp);
      throw outputError(batch[0]!.file, errnoOf(err), err);
    }
    const done: string[] = [];
    for (const [i, p] of batch.entries()) {
      try {
        renameOver(p.tmp, p.target, p.file);
      } catch (err) {
        for (const rest of batch.slice(i + 1)) removeQuietly(rest.tmp);
        throw err;
      }
      done.push(p.file);
    }
    return done;
  }

  /** Remove what is pending (a failed run leaves no temporary files behind). */
  discard(): void {
    for (const p of this.pending) removeQuietly(p.tmp);
    this.pending = [];
  }
}

function makeDurable(files: readonly string[]): void {
  if (files.length === 0) return;
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  const synced = dirs.every((dir) => spawnSync('sync', ['-f', dir], { stdio: 'ignore' }).status === 0);
  if (synced) return;
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
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
