import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { CtnrError } from '../engine/errors.js';
import { processAlive } from '../linux/pid.js';

/**
 * A lock file per resource (a blob being downloaded, the refs table), made with O_EXCL and holding the
 * owner's pid. A lock whose owner is dead (a pull killed with -9) is stale and taken over, so an interrupted
 * pull never blocks the next one. Processes on one host only: the store is not meant for network filesystems.
 */

export interface LockOptions {
  /** Give up after this long (default 10 minutes: another process may be downloading a large layer). */
  timeoutMs?: number;
  /** Called once when the lock is held by a live process and we start waiting. */
  onWait?: (ownerPid: number) => void;
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CtnrError('BUNDLE_FAILED', `cannot create lock ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Hold `file` as a lock while `fn` runs. Waits while a live process holds it; takes over a dead owner's lock. */
export async function withLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  let warned = false;
  for (let delay = 20; !tryCreate(file); delay = Math.min(delay * 2, 250)) {
    const owner = ownerOf(file);
    if (owner !== undefined && !processAlive(owner)) {
      // Stale: remove only if it still names the dead owner (another waiter may have replaced it already).
      if (ownerOf(file) === owner) {
        try {
          unlinkSync(file);
        } catch {
          /* someone else removed it first */
        }
      }
      continue;
    }
    if (Date.now() > deadline) throw new CtnrError('LOCKED', `${file} is still locked by process ${owner ?? '(unknown)'}`);
    if (!warned && owner !== undefined) {
      warned = true;
      opts.onWait?.(owner);
    }
    await sleep(delay);
  }
  try {
    return await fn();
  } finally {
    try {
      if (ownerOf(file) === process.pid) unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}
