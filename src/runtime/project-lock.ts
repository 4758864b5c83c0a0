import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError, isCtnrError } from '../engine/errors.js';
import { withLock } from '../image/lock.js';
import { runRoot } from './state.js';

/**
 * One lock per compose project, held by `up`, `down` and `run` while they start or stop its containers, so two
 * of them never interleave (two `up` both starting a service; a `down` that misses what an `up` starts after it
 * looked). The lock is a pid file under the run root (`projects/<name>.lock`); a second command waits, saying
 * who it waits for, and a lock left by a killed process is taken over.
 */

/** Long enough for an `up` that pulls and unpacks images (the image store's own locks wait as long). */
export const PROJECT_LOCK_TIMEOUT_MS = 10 * 60_000;

export function projectLockFile(project: string, root = runRoot()): string {
  return path.join(root, 'projects', `${project}.lock`);
}

export interface ProjectLockOptions {
  root?: string;
  timeoutMs?: number;
  /** Called once, with the holder's pid, when the lock is busy and the wait begins. */
  onWait?: (pid: number) => void;
}

function holder(file: string): string {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? `pid ${pid}` : 'pid unknown';
  } catch {
    return 'pid unknown';
  }
}

/** Run `fn` holding project `project`'s lock. Project names are checked at load (`[a-z0-9][a-z0-9_-]*`). */
export async function withProjectLock<T>(project: string, fn: () => Promise<T> | T, opts: ProjectLockOptions = {}): Promise<T> {
  const file = projectLockFile(project, opts.root);
  const timeoutMs = opts.timeoutMs ?? PROJECT_LOCK_TIMEOUT_MS;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CtnrError('RUNTIME_FAILED', `cannot create ${path.dirname(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let entered = false;
  try {
    return await withLock(
      file,
      () => {
        entered = true;
        return fn();
      },
      { timeoutMs, ...(opts.onWait ? { onWait: opts.onWait } : {}) },
    );
  } catch (err) {
    if (entered || !isCtnrError(err) || err.code !== 'LOCKED') throw err;
    throw new CtnrError(
      'LOCKED',
      `project ${project} is still in use by ctnr (${holder(file)}) after waiting ${timeoutMs / 1000}s (lock ${file}); try again when it has finished`,
    );
  }
}
