import { readFileSync, statSync } from 'node:fs';
import { CtnrError, type SourceLocation } from '../errors.js';
import { describeErrno, errnoCode } from '../errno.js';

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
  location: SourceLocation;
}

export function readSideFile(ref: SideFileRef): string | undefined {
  const fail = (message: string, cause?: unknown) => new CtnrError('SERVICE_INVALID', message, { path: ref.path, location: ref.location, ...(cause ? { cause } : {}) });
  let isDir: boolean;
  try {
    isDir = statSync(ref.file).isDirectory();
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (!ref.required) return undefined;
      throw fail(`${ref.kind} ${ref.file} not found${ref.kind === 'env file' ? ' (set "required: false" to make it optional)' : ''}`);
    }
    throw fail(`cannot read ${ref.kind} ${ref.file}: ${describeErrno(err)}`, err);
  }
  if (isDir) throw fail(`${ref.kind} ${ref.file} is a directory, not a file`);
  try {
    return readFileSync(ref.file, 'utf8');
  } catch (err) {
    throw fail(`cannot read ${ref.kind} ${ref.file}: ${describeErrno(err)}`, err);
  }
}
