import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reading a file that a compose file, a project directory or an image names (env_file, label_file, extends,
 * include, `.env`, a seccomp profile, the rootfs /etc/passwd): only a regular file, and at most a bound. A FIFO
 * would block forever, `/dev/zero` never ends (a memory bomb), `/dev/tty` waits for the keyboard. Opened
 * non-blocking, so even a FIFO nobody writes to is refused at once.
 */

/** Far above any real env file, profile or compose file; below what makes reading them a memory problem. */
export const MAX_NAMED_FILE_BYTES = 32 * 1024 * 1024;

/** For describeErrno: the two refusals below, in words. */
export const READ_REASONS: Readonly<Record<string, string>> = {
  ENOTREG: 'not a regular file (a device, FIFO or socket)',
  EFBIG: `larger than ${MAX_NAMED_FILE_BYTES / 2 ** 20} MiB`,
};

function refusal(code: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file}: ${READ_REASONS[code] ?? code}`), { code, path: file });
}

/**
 * The text of regular file `file` (symlinks followed). Throws errors with a `code` for describeErrno: the
 * open's own (ENOENT, EACCES, …), EISDIR, ENOTREG for anything but a regular file, EFBIG above `maxBytes`.
 */
export function readRegularFile(file: string, maxBytes = MAX_NAMED_FILE_BYTES): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw refusal('EISDIR', file);
    if (!st.isFile()) throw refusal('ENOTREG', file);
    if (st.size > maxBytes) throw refusal('EFBIG', file);
    // The size said now: a file that grows meanwhile is read up to it (and one more byte tells it grew past the bound).
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) {
        if (n > maxBytes) throw refusal('EFBIG', file);
        break;
      }
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}
