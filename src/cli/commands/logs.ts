import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../../engine/errors.js';
import { serviceNotFound } from '../../compose/select.js';
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
  const width = Math.max(...records.map((r) => r.id.length));
  const streams = records.map((rec) => new LogStream(rec, opts.logPrefix === false ? '' : `${rec.id.padEnd(width)}  | `));
  // Following, a last line without its newline yet waits for the rest of it.
  for (const s of streams) s.printFrom(tail === undefined ? 0 : s.offsetOfLastLines(tail), !opts.follow);
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
        if (!running) s.flushPartial();
        return running;
      });
    }
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

/** One container's log file, printed from an offset on, line by line with its prefix. */
class LogStream {
  private offset = 0;
  /** The end of the file without its newline yet (follow mode keeps it until the line is complete). */
  private partial = Buffer.alloc(0);
  private readonly file: string;
  /** The log file's inode when last read: another one means the file was replaced. */
  private inode: number | undefined;
  private readonly rec: ContainerRecord;
  private readonly prefix: string;

  constructor(rec: ContainerRecord, prefix: string) {
    this.rec = rec;
    this.prefix = prefix;
    this.file = rec.log ?? path.join(rec.bundle, 'ctnr.log');
  }

  /** Running, or between two runs of its restart policy (its monitor lives: more output may come). */
  isRunning(): boolean {
    return queryState(this.rec)?.status === 'running' || monitorAlive(this.rec);
  }

  /** Where the last `n` lines start. */
  offsetOfLastLines(n: number): number {
    return offsetOfLastLines(this.file, n);
  }

  printFrom(offset: number, flush: boolean): void {
    this.offset = offset;
    this.printNew();
    if (flush) this.flushPartial();
  }

  /** The complete lines written since the last call. */
  printNew(): void {
    const fd = this.open();
    if (fd === undefined) return;
    try {
      const st = fstatSync(fd);
      const size = st.size;
      // The file was replaced or cut (a container recreated by up): from its start again, without the old
      // file's unfinished line.
      if (st.ino !== this.inode || size < this.offset) {
        if (this.inode !== undefined) {
          this.offset = 0;
          this.partial = Buffer.alloc(0);
        }
        this.inode = st.ino;
      }
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        const got = readSync(fd, buf, 0, buf.length, this.offset);
        if (got === 0) break;
        this.offset += got;
        this.emit(Buffer.concat([this.partial, buf.subarray(0, got)]));
      }
    } finally {
      closeSync(fd);
    }
  }

  /** A last line that never got its newline (the container ended, or no --follow). */
  flushPartial(): void {
    if (this.partial.length === 0) return;
    this.write(this.partial);
    this.partial = Buffer.alloc(0);
  }

  private emit(data: Buffer): void {
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      this.write(data.subarray(start, nl));
      start = nl + 1;
    }
    this.partial = Buffer.from(data.subarray(start));
  }

  private write(line: Buffer): void {
    process.stdout.write(Buffer.concat([Buffer.from(this.prefix), line, Buffer.from('\n')]));
  }

  private open(): number | undefined {
    try {
      return openSync(this.file, 'r');
    } catch {
      return undefined;
    }
  }
}

/**
 * Where the last `n` lines of `file` start, reading back from the end in chunks (a log may be large); a last line
 * without its newline counts as a line. 0 for a file that is missing or has fewer lines.
 */
export function offsetOfLastLines(file: string, n: number, chunk = CHUNK): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    if (n === 0) return size;
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
        if (isNewline && ++newlines === n) return pos + i + 1;
      }
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
