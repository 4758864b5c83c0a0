import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import { serviceNotFound } from '../../compose/select.js';
import { logFilesOldestFirst } from '../../runtime/log-file.js';
import { listRecords, monitorAlive, queryState, runRoot, type ContainerRecord } from '../../runtime/state.js';
import { note } from './notes.js';
import { loadProjectFile, type ProjectFileOptions } from './project-file.js';

export interface LogsOptions extends ProjectFileOptions {
  follow?: boolean;
  tail?: string;
  /** commander's `--no-log-prefix`: false prints the lines alone. */
  logPrefix?: boolean;
}

const POLL_MS = 200;
const CHUNK = 64 * 1024;

/**
 * `ctnr logs [SERVICE…]`: the output of the project's detached containers (`up`, `run -d`), which the runtime
 * appends to `ctnr.log` in each bundle, each line after its container's id (`demo-web  | …`, as compose prints
 * them). The bytes are the container's own, as `run` forwards them. `--tail N`: the last N lines of each.
 * `--follow`: then new lines as they come, until every container followed has stopped (or an interrupt).
 */
export async function logsCommand(services: string[], opts: LogsOptions): Promise<void> {
  const compose = loadProjectFile(opts);
  for (const s of services) if (!Object.hasOwn(compose.services, s)) throw serviceNotFound(compose, s);
  const tail = tailCount(opts.tail);
  const records = listRecords(runRoot())
    .filter((r) => r.project === compose.name && (services.length === 0 || services.includes(r.service)))
    .filter((r) => r.log !== undefined);
  if (records.length === 0) {
    note(`no detached container of project ${compose.name}${services.length > 0 ? ` for ${services.join(', ')}` : ''} (ctnr up starts them)`);
    return;
  }
  // docker: "configured logging driver does not support reading".
  for (const rec of records) if (rec.logDriver === 'none') note(`${rec.id}: its output is not kept (logging driver none)`);
  const kept = records.filter((r) => r.logDriver !== 'none');
  if (kept.length === 0) return;
  const width = Math.max(...kept.map((r) => r.id.length));
  const streams = kept.map((rec) => new LogStream(rec, opts.logPrefix === false ? '' : `${rec.id.padEnd(width)}  | `));
  // Following, a last line without its newline yet waits for the rest of it.
  for (const s of streams) s.printFrom(tail, !opts.follow);
  if (!opts.follow) return;
  let interrupted = false;
  const stop = () => {
    interrupted = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let live = streams;
    while (!interrupted && live.length > 0) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      // A container is done once it stopped and what it wrote before is printed.
      live = live.filter((s) => {
        const running = s.isRunning();
        s.printNew();
        if (!running) {
          s.flushPartial();
          s.closeFile();
        }
        return running;
      });
    }
    for (const s of live) s.closeFile();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** `--tail N` (a count of lines, or `all`). */
function tailCount(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  if (!/^\d+$/.test(text)) throw new CtnrError('USAGE', `--tail: "${text}" is not a number of lines (or all)`);
  return Number(text);
}

/**
 * One container's log, printed line by line with its prefix: its rotated files (`ctnr.log.N` … `ctnr.log.1`, see
 * src/runtime/log-file.ts), then `ctnr.log`, which stays open while it is followed, so that lines written just
 * before a rotation are read from the file they went to.
 */
class LogStream {
  /** The file being read: its descriptor, inode and how far it was read. */
  private fd: number | undefined;
  private inode: number | undefined;
  private offset = 0;
  /** The end of what was read without its newline yet (follow mode keeps it until the line is complete). */
  private partial = Buffer.alloc(0);
  private readonly file: string;
  private readonly rec: ContainerRecord;
  private readonly prefix: string;

  constructor(rec: ContainerRecord, prefix: string) {
    this.rec = rec;
    this.prefix = prefix;
    this.file = rec.log ?? path.join(rec.bundle, 'ctnr.log');
  }

  /** Running, or between two runs of its restart policy, or its monitor is still writing its log. */
  isRunning(): boolean {
    return queryState(this.rec)?.status === 'running' || monitorAlive(this.rec);
  }

  /** Print the last `tail` lines (all without), across the rotated files; `flush`: the unfinished last line too. */
  printFrom(tail: number | undefined, flush: boolean): void {
    const files = logFilesOldestFirst(this.file);
    let first = 0;
    let offset = 0;
    if (tail !== undefined) {
      let needed = tail;
      for (let i = files.length - 1; i >= 0; i--) {
        const found = lastLinesOf(files[i]!, needed);
        first = i;
        offset = found.offset;
        needed -= found.lines;
        if (needed <= 0) break;
      }
    }
    for (let i = first; i < files.length - 1; i++) this.emitFile(files[i]!, i === first ? offset : 0);
    this.offset = first === files.length - 1 ? offset : 0;
    this.printNew();
    if (flush) {
      this.flushPartial();
      this.closeFile();
    }
  }

  /** The complete lines written since the last call (and those of a file that was rotated meanwhile). */
  printNew(): void {
    this.readToEnd();
    const now = statSync(this.file, { throwIfNoEntry: false });
    if (this.fd !== undefined && (now === undefined || now.ino === this.inode)) return;
    // Rotated (or replaced, when up recreated the container): the rest of the old file is read above; the new one
    // from its start.
    this.closeFile();
    this.offset = 0;
    this.readToEnd();
  }

  /** A last line that never got its newline (the container ended, or no --follow). */
  flushPartial(): void {
    if (this.partial.length === 0) return;
    this.write(this.partial);
    this.partial = Buffer.alloc(0);
  }

  closeFile(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.inode = undefined;
  }

  private readToEnd(): void {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.file, 'r');
      } catch {
        return;
      }
      this.inode = fstatSync(this.fd).ino;
    }
    const size = fstatSync(this.fd).size;
    // Cut to nothing (a log kept as one file starts again when it is full): from its start.
    if (size < this.offset) this.offset = 0;
    this.offset = this.emitRange(this.fd, this.offset, size);
  }

  /** A rotated file from `offset` to its end; nothing when it is gone. */
  private emitFile(file: string, offset: number): void {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      this.emitRange(fd, offset, fstatSync(fd).size);
    } finally {
      closeSync(fd);
    }
  }

  /** Emit `fd`'s bytes from `offset` to `end`, a chunk at a time (a log may be large); returns where reading stopped. */
  private emitRange(fd: number, offset: number, end: number): number {
    while (offset < end) {
      const buf = Buffer.alloc(Math.min(CHUNK, end - offset));
      const got = readSync(fd, buf, 0, buf.length, offset);
      if (got === 0) break;
      offset += got;
      this.emit(buf.subarray(0, got));
    }
    return offset;
  }

  private emit(data: Buffer): void {
    const all = this.partial.length > 0 ? Buffer.concat([this.partial, data]) : data;
    let start = 0;
    for (let nl = all.indexOf(10); nl >= 0; nl = all.indexOf(10, start)) {
      this.write(all.subarray(start, nl));
      start = nl + 1;
    }
    this.partial = Buffer.from(all.subarray(start));
  }

  private write(line: Buffer): void {
    process.stdout.write(Buffer.concat([Buffer.from(this.prefix), line, Buffer.from('\n')]));
  }
}

/**
 * Where the last `n` lines of `file` start, reading back from the end in chunks (a log may be large); a last line
 * without its newline counts as a line. 0 for a file that is missing or has fewer lines.
 */
export function offsetOfLastLines(file: string, n: number, chunk = CHUNK): number {
  return lastLinesOf(file, n, chunk).offset;
}

/** Where the last `n` lines of `file` start, and how many lines that is (fewer when the file has fewer). */
function lastLinesOf(file: string, n: number, chunk = CHUNK): { offset: number; lines: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { offset: 0, lines: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    if (n === 0 || size === 0) return { offset: size, lines: 0 };
    let pos = size;
    let newlines = 0;
    // The file's final newline ends the last line: it does not start one.
    let atEnd = true;
    const buf = Buffer.alloc(chunk);
    while (pos > 0) {
      const len = Math.min(chunk, pos);
      pos -= len;
      readSync(fd, buf, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        const isNewline = buf[i] === 10;
        if (atEnd) {
          atEnd = false;
          if (isNewline) continue;
        }
        if (isNewline && ++newlines === n) return { offset: pos + i + 1, lines: n };
      }
    }
    // The first line has no newline before it.
    return { offset: 0, lines: newlines + 1 };
  } finally {
    closeSync(fd);
  }
}
