import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canMountTmpfs, mknodChar, mountTmpfs, type Tmpfs } from '../unit/hardening/tmpfs.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/** `ctnr spec -o FILE` and `--report FILE` through the built CLI (issue 16 items 1 and 7). */
const root = tempRoot('out');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

describe('spec -o / --report errors are one clean line, exit 1', () => {
  const dir = project(root.dir, 'p', SIMPLE);
  it.each([
    ['-o to a missing parent', ['-o', 'no/such/dir/spec.json'], 'error: cannot write no/such/dir/spec.json: its directory does not exist (ENOENT)\n'],
    ['-o to a directory', ['-o', '.'], 'error: cannot write .: it is a directory (EISDIR)\n'],
    ['--report to a missing parent', ['--report', 'nope/report.json'], 'error: cannot write nope/report.json: its directory does not exist (ENOENT)\n'],
  ])('%s', (_, args, stderr) => {
    const r = ctnr(dir, ['spec', 'web', ...args]);
    expect(r.stderr).toBe(stderr);
    expect(r.status).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['compose.yaml', 'package.json']);
  });
});

describe.skipIf(!canMountTmpfs())('spec -o on a private tmpfs', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('size=1m');
  });
  afterAll(() => fs.cleanup());

  it('-o and --report to a /dev/null clone leave it a character device', () => {
    const dir = project(root.dir, 'dev', SIMPLE);
    const dev = path.join(fs.dir, 'null');
    mknodChar(dev, 1, 3);
    const r = ctnr(dir, ['spec', 'web', '-o', dev, '--report', dev]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('-o on a read-only filesystem: one line, exit 1, the old file kept', () => {
    const dir = project(root.dir, 'ro', SIMPLE);
    const f = path.join(fs.dir, 'spec.json');
    expect(ctnr(dir, ['spec', 'web', '-o', f]).status).toBe(0);
    const before = readFileSync(f, 'utf8');
    fs.remount('ro');
    try {
      const r = ctnr(dir, ['spec', 'web', '--compact', '-o', f]);
      expect(r.stderr).toBe(`error: cannot write ${f}: read-only file system (EROFS)\n`);
      expect(r.status).toBe(1);
      expect(readFileSync(f, 'utf8')).toBe(before);
    } finally {
      fs.remount('rw');
    }
  });
});
