import { CtnrError, type SourceLocation } from '../engine/errors.js';
import { describeErrno, errnoCode } from '../linux/errno.js';
import { READ_REASONS, readRegularFile } from '../linux/read-file.js';

/**
 * Files a service names besides the compose file (`env_file`, `label_file`): read as text, or a located
 * SERVICE_INVALID that says why not (missing, a directory, unreadable). Their content is never quoted in an
 * error: env files hold secrets.
 */
export interface SideFileRef {
  kind: 'env file' | 'label file';
  /** Absolute path. */
  file: string;
  /** `required: false` (env_file only): a missing file is skipped. A directory or unreadable file is still an error. */
  required: boolean;
  path: ReadonlyArray<string | number>;
  /** Where the file is named (asked only when reading fails: finding it may mean parsing the compose file). */
  locate: () => SourceLocation;
}

export function readSideFile(ref: SideFileRef): string | undefined {
  const fail = (message: string, cause?: unknown) => new CtnrError('SERVICE_INVALID', message, { path: ref.path, location: ref.locate(), ...(cause ? { cause } : {}) });
  try {
    // A regular file only, and bounded: `env_file: /dev/zero` or a FIFO must not hang or exhaust memory.
    return readRegularFile(ref.file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (!ref.required) return undefined;
      throw fail(`${ref.kind} ${ref.file} not found${ref.kind === 'env file' ? ' (set "required: false" to make it optional)' : ''}`);
    }
    if (code === 'EISDIR') throw fail(`${ref.kind} ${ref.file} is a directory, not a file`);
    throw fail(`cannot read ${ref.kind} ${ref.file}: ${describeErrno(err, READ_REASONS)}`, err);
  }
}
