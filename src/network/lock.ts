import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { CtnrError } from '../engine/errors.js';

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(pause, 0, 0, ms);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Run `fn` holding an exclusive lock file (created with O_EXCL, holding our pid). Hooks of several containers
 * run at once (`ctnr up` starts services back to back, the runtime runs poststop while another starts), and
 * they read-modify-write the same state and hosts files. A lock left by a dead process (a hook killed by its
 * timeout) is taken over. Synchronous on purpose: a hook does nothing else meanwhile.
 */
export function withLock<T>(file: string, fn: () => T, timeoutMs = 30_000): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      try {
        return fn();
      } finally {
        rmSync(file, { force: true });
      }
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released between our open and read
    }
    // An empty file is a holder between its open and its write: wait for it like for a live one.
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new CtnrError('RUNTIME_FAILED', `timed out waiting for ${file} (held by pid ${owner || 'unknown'})`);
    sleepSync(25);
  }
}
