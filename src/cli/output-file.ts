import { chmodSync, chownSync, close, closeSync, fsyncSync, lstatSync, open, openSync, readdirSync, readlinkSync, renameSync, statSync, unlinkSync, write, writeFileSync, writeSync, type Stats } from 'node:fs';
import { spawn } from 'node:child_process';
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
  const tmp = writeTemporary(target, file, data, old);
  renameOver(tmp, target, file);
}

/** The sibling temporary file a regular target is written to, then renamed over it. */
function writeTemporary(target: string, file: string, data: string, old: Stats | undefined): string {
  const tmp = temporaryName(target);
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
 * data is on disk. The difference is the cost:
 * - the temporary files are written in node's thread pool while the caller goes on computing the next specs
 *   (creating a file costs 0.3–1.2 ms of kernel time on a VM disk, as much as generating the spec);
 * - instead of one fsync per file (about 2 ms each, so 2 s for 1,000 specs) a group's filesystem is flushed once
 *   (`sync -f`, one syncfs) before its files are renamed; where that is unavailable it falls back to fsync per
 *   file. One group is flushed while the next is being written.
 * A problem found at once (a directory at the target, a missing parent) is thrown by `add`; a write that fails
 * later is reported by `flush` for its file, and the other files of the group still land.
 * Devices and FIFOs are written through at once, as a redirect would.
 */
export class OutputBatch {
  private group: PendingFile[] = [];
  private previous: Promise<unknown> = Promise.resolve();
  private readonly dirs = new Set<string>();
  private readonly listed = new Map<string, Set<string> | null>();
  private unsettled = 0;

  /** Files added since the last flush. */
  get size(): number {
    return this.group.length;
  }

  /**
   * Start writing `file`. Returns a promise when the caller should let the event loop run before adding more
   * (writes complete through it; with MAX_UNSETTLED in flight it resolves once the newest has landed); await it.
   */
  add(file: string, data: string): Promise<void> | undefined {
    // A name the directory did not hold when the batch first looked needs no lstat/stat (which would wait for the
    // directory's lock while the thread pool creates files in it).
    const absent = this.absentFromDir(file);
    const target = absent ? path.resolve(file) : followSymlinks(file);
    const st = absent ? undefined : statOrUndefined(target, file);
    if (st?.isDirectory()) throw outputError(file, 'EISDIR');
    if (st && !st.isFile()) {
      writeThrough(target, file, data);
      return undefined;
    }
    this.requireDir(path.dirname(target), file);
    const tmp = temporaryName(target);
    this.unsettled++;
    const written = writeTemporaryAsync(tmp, file, data, st).finally(() => this.unsettled--);
    this.group.push({ file, target, tmp, written });
    if (this.unsettled >= MAX_UNSETTLED) return written.then(() => undefined);
    // A write is three steps (open, write, close), each continued from the event loop: let it turn.
    if (this.unsettled >= YIELD_AT) return new Promise((resolve) => setImmediate(resolve));
    return undefined;
  }

  /**
   * Make the files added so far durable and rename them into place; resolves (never rejects), in the order
   * added, to each file as given with the error that kept it out, if any. It first waits for the previous flush:
   * groups land in order.
   */
  flush(): Promise<FlushedFile[]> {
    const group = this.group;
    this.group = [];
    const done = this.previous.then(() => landGroup(group));
    this.previous = done;
    return done;
  }

  /** Remove whatever was added and not flushed (a failed run leaves no temporary files behind). */
  async discard(): Promise<void> {
    const group = this.group;
    this.group = [];
    await this.previous;
    await Promise.all(group.map(async (p) => {
      if ((await p.written) === undefined) removeQuietly(p.tmp);
    }));
  }

  /**
   * `file`'s name was not in its directory when the batch listed it (once per directory, at its first file). A
   * name that appears after that is replaced by the rename, as it would have been had it appeared after a stat.
   */
  private absentFromDir(file: string): boolean {
    const dir = path.dirname(path.resolve(file));
    let names = this.listed.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(dir));
      } catch {
        names = null; // not listable: every file takes the careful path, which reports why
      }
      this.listed.set(dir, names);
    }
    return names !== null && !names.has(path.basename(file));
  }

  /** The parent of a target exists and is a directory (checked once per directory, as `>` would fail). */
  private requireDir(dir: string, file: string): void {
    if (this.dirs.has(dir)) return;
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (err) {
      throw outputError(file, errnoOf(err), err);
    }
    if (!st.isDirectory()) throw outputError(file, 'ENOTDIR');
    this.dirs.add(dir);
  }
}

/** Writes in flight before add() asks the caller to yield, and before it makes the caller wait for them. */
const YIELD_AT = 4;
const MAX_UNSETTLED = 64;

export interface FlushedFile {
  file: string;
  error?: CtnrError;
}

interface PendingFile {
  file: string;
  target: string;
  tmp: string;
  /** Settles (never rejects) once the temporary file is written: undefined, or the error that stopped it. */
  written: Promise<CtnrError | undefined>;
}

async function landGroup(group: readonly PendingFile[]): Promise<FlushedFile[]> {
  const outcome = await Promise.all(group.map((p) => p.written));
  const ready = group.filter((_, i) => outcome[i] === undefined);
  try {
    await makeDurable(ready.map((p) => p.tmp));
  } catch (err) {
    // Nothing of the group may land without being on disk.
    for (const p of ready) removeQuietly(p.tmp);
    return group.map((p, i) => ({ file: p.file, error: outcome[i] ?? outputError(p.file, errnoOf(err), err) }));
  }
  return group.map((p, i) => {
    const failed = outcome[i];
    if (failed) return { file: p.file, error: failed };
    try {
      renameOver(p.tmp, p.target, p.file);
      return { file: p.file };
    } catch (err) {
      return { file: p.file, error: err as CtnrError };
    }
  });
}

function temporaryName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/**
 * Write `data` to the new file `tmp` from the thread pool (open `wx`, write, close: one callback each, no
 * promise or FileHandle per step); settles with undefined or the error, never rejects.
 */
function writeTemporaryAsync(tmp: string, file: string, data: string, old: Stats | undefined): Promise<CtnrError | undefined> {
  return new Promise((settle) => {
    const failed = (err: unknown, created: boolean) => {
      // Only what we created: a name that existed (EEXIST) is not ours.
      if (created) removeQuietly(tmp);
      settle(outputError(file, errnoOf(err), err));
    };
    // `wx`: never reuse (or follow) something already at the temporary name.
    open(tmp, 'wx', 0o666, (err, fd) => {
      if (err) return failed(err, false);
      const buf = Buffer.from(data, 'utf8');
      const writeFrom = (off: number): void => {
        if (off >= buf.length) {
          close(fd, (closeErr) => {
            if (closeErr) return failed(closeErr, true);
            try {
              if (old) keepOwnerAndMode(tmp, old);
            } catch (modeErr) {
              return failed(modeErr, true);
            }
            settle(undefined);
          });
          return;
        }
        write(fd, buf, off, buf.length - off, null, (writeErr, n) => {
          if (writeErr) return close(fd, () => failed(writeErr, true));
          writeFrom(off + n);
        });
      };
      writeFrom(0);
    });
  });
}

async function makeDurable(files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  const synced = await Promise.all(dirs.map((dir) => syncFilesystem(dir)));
  if (synced.every(Boolean)) return;
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** `sync -f DIR` (syncfs of DIR's filesystem), run without blocking; false when it could not be done. */
function syncFilesystem(dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sync', ['-f', dir], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
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
