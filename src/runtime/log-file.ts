import { closeSync, existsSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * A container's log file that rotates (docker's json-file `max-size`/`max-file`): before a write would take it past
 * `maxBytes`, the complete lines that still fit are written, the file becomes `<file>.1` (`.1` becomes `.2`, …;
 * the oldest beyond `maxFiles − 1` is dropped) and a new file starts. Cuts fall after a newline where the data has
 * one, so a line stays in one file; a single line longer than `maxBytes` gets a file of its own. With `maxFiles` 1
 * the file is started again empty. Files are created 0600, and rotation only renames files of this name.
 */
export class RotatingLog {
  private fd: number;
  private size: number;
  private readonly file: string;
  private readonly maxBytes: number | undefined;
  private readonly maxFiles: number;

  constructor(file: string, maxBytes: number | undefined, maxFiles: number) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(data: Buffer): void {
    const limit = this.maxBytes;
    let rest = data;
    while (rest.length > 0) {
      if (limit === undefined || this.size + rest.length <= limit) {
        this.append(rest);
        return;
      }
      if (this.size > 0) {
        // The complete lines that still fit, then a new file for the rest.
        const room = limit - this.size;
        const cut = room > 0 ? rest.lastIndexOf(10, room - 1) + 1 : 0;
        if (cut > 0) this.append(rest.subarray(0, cut));
        rest = rest.subarray(cut);
        this.rotate();
        continue;
      }
      // An empty file, and more than fits: the lines that fit, or else the first line whole.
      let cut = rest.lastIndexOf(10, limit - 1) + 1;
      if (cut === 0) {
        const newline = rest.indexOf(10);
        cut = newline < 0 ? rest.length : newline + 1;
      }
      this.append(rest.subarray(0, cut));
      rest = rest.subarray(cut);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private append(data: Buffer): void {
    // After a rotation that failed halfway (a full disk, a removed bundle), the file is opened again first.
    if (this.fd < 0) {
      this.fd = openSync(this.file, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    }
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.size += data.length;
  }

  private rotate(): void {
    // Never left holding a closed descriptor's number: another file may get it.
    const old = this.fd;
    this.fd = -1;
    if (old >= 0) closeSync(old);
    if (this.maxFiles > 1) {
      for (let i = this.maxFiles - 1; i >= 2; i--) {
        const older = `${this.file}.${i - 1}`;
        if (existsSync(older)) renameSync(older, `${this.file}.${i}`);
      }
      renameSync(this.file, `${this.file}.1`);
    }
    this.fd = openSync(this.file, this.maxFiles > 1 ? 'a' : 'w', 0o600);
    this.size = 0;
  }
}

/** A log's files, oldest first: the rotated ones (`<file>.N` … `<file>.1`, as far as they go on without a gap), then `file`. */
export function logFilesOldestFirst(file: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${file}.${i}`); i++) rotated.unshift(`${file}.${i}`);
  return [...rotated, file];
}
