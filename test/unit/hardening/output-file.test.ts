import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/cli/output.js';
import { isCtnrError } from '../../../src/engine/errors.js';
import { canMountTmpfs, mknodChar, mountTmpfs, type Tmpfs } from './tmpfs.js';

/** `-o FILE` / `--report FILE` follow a shell redirect's rules (issue 16 item 1). */

function failure(fn: () => void): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (!isCtnrError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected an error');
}

const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('regular files, symlinks and missing parents (plain temp dir)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-out-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces a regular file, keeping its mode, leaving no temporary file', () => {
    const f = path.join(dir, 'spec.json');
    writeFileSync(f, 'old');
    chmodSync(f, 0o600);
    writeFileAtomic(f, 'new\n');
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });

  it('writes through a symlink: the link stays, its target gets the content', () => {
    const real = path.join(dir, 'real.json');
    writeFileSync(real, 'old');
    const link = path.join(dir, 'link.json');
    symlinkSync('real.json', link);
    writeFileAtomic(link, 'via link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('via link');
  });

  it('creates the target of a dangling symlink, as `>` does', () => {
    const link = path.join(dir, 'dangling.json');
    symlinkSync('made-by-link.json', link);
    writeFileAtomic(link, 'x');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, 'made-by-link.json'), 'utf8')).toBe('x');
  });

  it.each([
    ['a missing parent directory', 'missing/sub/spec.json', /its directory does not exist \(ENOENT\)$/],
    ['a directory', '.', /it is a directory \(EISDIR\)$/],
    ['a parent that is a file', 'file/spec.json', /not a directory \(ENOTDIR\)$/],
  ])('%s is a one-line OUTPUT_FAILED error, nothing created', (_, rel, message) => {
    writeFileSync(path.join(dir, 'file'), 'keep');
    const target = path.join(dir, rel);
    const e = failure(() => writeFileAtomic(target, 'x'));
    expect(e.code).toBe('OUTPUT_FAILED');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
    expect(readFileSync(path.join(dir, 'file'), 'utf8')).toBe('keep');
    expect(leftovers(dir)).toEqual([]);
  });

  it('writes through a FIFO (the reader gets the data; the FIFO stays a FIFO)', async () => {
    const fifo = path.join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const out = path.join(dir, 'from-pipe');
    const reader = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, out]);
    const exited = new Promise<number | null>((resolve) => reader.on('exit', resolve));
    writeFileAtomic(fifo, 'through the pipe\n');
    expect(await exited).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('through the pipe\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe.skipIf(!canMountTmpfs())('devices, read-only and full filesystems (private tmpfs)', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('size=64k');
  });
  afterAll(() => fs.cleanup());

  it('a /dev/null clone stays a character device (it used to become a regular file)', () => {
    const dev = path.join(fs.dir, 'null');
    mknodChar(dev, 1, 3);
    writeFileAtomic(dev, '{"big":"spec"}\n');
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(leftovers(fs.dir)).toEqual([]);
  });

  it('a symlink to a /dev/null clone writes through to the device', () => {
    const dev = path.join(fs.dir, 'null2');
    mknodChar(dev, 1, 3);
    const link = path.join(fs.dir, 'to-null');
    symlinkSync(dev, link);
    writeFileAtomic(link, 'x');
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a /dev/full clone: ENOSPC as an OUTPUT_FAILED error, the device untouched', () => {
    const dev = path.join(fs.dir, 'full');
    mknodChar(dev, 1, 7);
    const e = failure(() => writeFileAtomic(dev, 'x'));
    expect(e).toEqual({ code: 'OUTPUT_FAILED', message: `cannot write ${dev}: no space left on device (ENOSPC)` });
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('a full filesystem: ENOSPC, the old file intact, no temporary file left', () => {
    const f = path.join(fs.dir, 'spec.json');
    writeFileSync(f, 'old');
    const e = failure(() => writeFileAtomic(f, 'x'.repeat(256 * 1024)));
    expect(e).toEqual({ code: 'OUTPUT_FAILED', message: `cannot write ${f}: no space left on device (ENOSPC)` });
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(leftovers(fs.dir)).toEqual([]);
  });

  it('a read-only filesystem: EROFS, nothing changed', () => {
    const sub = path.join(fs.dir, 'ro');
    mkdirSync(sub);
    const f = path.join(fs.dir, 'kept.json');
    writeFileSync(f, 'old');
    fs.remount('ro');
    try {
      for (const target of [f, path.join(fs.dir, 'new.json')]) {
        const e = failure(() => writeFileAtomic(target, 'x'));
        expect(e).toEqual({ code: 'OUTPUT_FAILED', message: `cannot write ${target}: read-only file system (EROFS)` });
      }
      expect(readFileSync(f, 'utf8')).toBe('old');
      expect(existsSync(path.join(fs.dir, 'new.json'))).toBe(false);
    } finally {
      fs.remount('rw');
    }
  });
});
