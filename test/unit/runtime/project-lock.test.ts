import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CtnrError } from '../../../src/engine/errors.js';
import { projectLockFile, withProjectLock } from '../../../src/runtime/project-lock.js';

/** Above the kernel's largest pid_max: never a live process. */
const NO_PID = 2 ** 22 + 12345;

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-plock-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('project lock', () => {
  it('one file per project under the run root', () => {
    expect(projectLockFile('web', root)).toBe(path.join(root, 'projects', 'web.lock'));
  });

  it('a second holder waits (told once who holds it), then runs after the first', async () => {
    const events: string[] = [];
    let release!: () => void;
    const first = withProjectLock('p', () => new Promise<void>((r) => (release = () => (events.push('first done'), r()))), { root });
    await new Promise((r) => setTimeout(r, 20));
    const waits: number[] = [];
    const second = withProjectLock('p', () => void events.push('second runs'), { root, onWait: (pid) => waits.push(pid) });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first done', 'second runs']);
    expect(waits).toEqual([process.pid]);
    expect(existsSync(projectLockFile('p', root))).toBe(false);
  });

  it('other projects do not wait', async () => {
    let release!: () => void;
    const first = withProjectLock('a', () => new Promise<void>((r) => (release = r)), { root });
    await new Promise((r) => setTimeout(r, 20));
    expect(await withProjectLock('b', () => 'ran', { root, timeoutMs: 50 })).toBe('ran');
    release();
    await first;
  });

  it('gives up after the timeout with an error naming the project, the holder and the lock file', async () => {
    let release!: () => void;
    const first = withProjectLock('p', () => new Promise<void>((r) => (release = r)), { root });
    await new Promise((r) => setTimeout(r, 20));
    const err = await withProjectLock('p', () => 'never', { root, timeoutMs: 150 }).catch((e: unknown) => e);
    release();
    await first;
    expect(err).toBeInstanceOf(CtnrError);
    expect((err as CtnrError).code).toBe('LOCKED');
    expect((err as CtnrError).message).toBe(
      `project p is still in use by ctnr (pid ${process.pid}) after waiting 0.15s (lock ${projectLockFile('p', root)}); try again when it has finished`,
    );
  });

  it('takes over the lock of a process that died holding it (kill -9), without waiting', async () => {
    mkdirSync(path.join(root, 'projects'), { recursive: true });
    writeFileSync(projectLockFile('p', root), String(NO_PID));
    const waits: number[] = [];
    expect(await withProjectLock('p', () => 'ran', { root, timeoutMs: 100, onWait: (pid) => waits.push(pid) })).toBe('ran');
    expect(waits).toEqual([]);
  });

  it('an error of the work itself goes through unchanged, and the lock is released', async () => {
    const inner = new CtnrError('LOCKED', 'an image blob is locked');
    await expect(withProjectLock('p', () => Promise.reject(inner), { root })).rejects.toBe(inner);
    expect(existsSync(projectLockFile('p', root))).toBe(false);
  });
});
