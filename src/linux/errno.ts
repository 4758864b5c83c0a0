/**
 * A failed filesystem call in words, for one-line errors: `no space left on device (ENOSPC)`. Node's own
 * message repeats the syscall and the paths involved (temporary names the user never chose); the caller names
 * the file the user asked for instead.
 */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'directory not empty',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENXIO: 'no reader on the other end',
  EPIPE: 'the reader closed the pipe',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EBUSY: 'resource busy',
  EXDEV: 'on another filesystem',
  EIO: 'input/output error',
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function describeErrno(err: unknown, overrides: Readonly<Record<string, string>> = {}): string {
  const code = errnoCode(err);
  if (code === undefined) return err instanceof Error ? err.message : String(err);
  const words = overrides[code] ?? REASONS[code];
  return words ? `${words} (${code})` : code;
}
