import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newMetadata } from '../../../src/bundle/metadata.js';
import { removeBundle } from '../../../src/bundle/store.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from './tmpfs.js';

/** `bundle create --force DIR` replaces only a ctnr bundle (issue 16 item 2); full or read-only disks fail cleanly (item 7). */
const meta = newMetadata({ service: 's', project: 'p', composeFile: '/c.yaml', inputDigest: 'sha256:0', rootless: false, rootfs: { kind: 'directory', path: '/r' } });
const write = (dir: string, force = true, dataDir = path.dirname(dir)) => writeBundle({ dir, spec: createBaseSpec(), files: [{ path: 'new', content: 'new' }], metadata: meta, dataDir, force });

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-force-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Each case makes something at `dir` and returns a fingerprint of it that must not change. */
const NOT_BUNDLES: Array<[string, (dir: string) => () => unknown]> = [
  [
    'a project directory (compose.yaml and src/)',
    (dir) => {
      mkdirSync(path.join(dir, 'src'), { recursive: true });
      writeFileSync(path.join(dir, 'compose.yaml'), 'services: {}\n');
      writeFileSync(path.join(dir, 'src/main.ts'), 'code');
      return () => [readdirSync(dir).sort(), readFileSync(path.join(dir, 'src/main.ts'), 'utf8')];
    },
  ],
  [
    'a regular file',
    (dir) => {
      writeFileSync(dir, 'precious');
      return () => readFileSync(dir, 'utf8');
    },
  ],
  [
    'a directory with a config.json but no ctnr.json',
    (dir) => {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'config.json'), '{}');
      return () => readdirSync(dir);
    },
  ],
  [
    'a directory whose ctnr.json is not ctnr metadata',
    (dir) => {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'ctnr.json'), '{"name":"my-app"}');
      return () => readFileSync(path.join(dir, 'ctnr.json'), 'utf8');
    },
  ],
  [
    'a symlink to a real bundle',
    (dir) => {
      const real = `${dir}-real`;
      mkdirSync(real);
      writeFileSync(path.join(real, 'ctnr.json'), JSON.stringify(meta));
      symlinkSync(real, dir);
      return () => [readlinkSync(dir), readdirSync(real)];
    },
  ],
  [
    'a dangling symlink',
    (dir) => {
      symlinkSync('/nonexistent/ctnr-target', dir);
      return () => readlinkSync(dir);
    },
  ],
];

describe('--force refuses what is not a ctnr bundle, naming it', () => {
  it.each(NOT_BUNDLES)('%s', async (_, make) => {
    const dir = path.join(tmp, 'target');
    const fingerprint = make(dir);
    const before = fingerprint();
    await expect(write(dir)).rejects.toMatchObject({ code: 'BUNDLE_EXISTS', message: expect.stringContaining(`${dir} `) });
    expect(fingerprint()).toEqual(before);
    expect(readdirSync(tmp).filter((n) => n.startsWith('.'))).toEqual([]);
    // `bundle rm` makes the same check.
    expect(() => removeBundle(dir)).toThrow(/not a ctnr bundle/);
    expect(fingerprint()).toEqual(before);
  });

  it('a ctnr bundle is still replaced', async () => {
    const dir = path.join(tmp, 'b');
    await write(dir, false);
    writeFileSync(path.join(dir, 'stale'), 'x');
    await write(dir, true);
    expect(existsSync(path.join(dir, 'stale'))).toBe(false);
    expect(readFileSync(path.join(dir, 'new'), 'utf8')).toBe('new');
    removeBundle(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('without --force anything there is BUNDLE_EXISTS, a dangling symlink too', async () => {
    const dir = path.join(tmp, 'link');
    symlinkSync('/nonexistent/ctnr-target', dir);
    await expect(write(dir, false)).rejects.toMatchObject({ code: 'BUNDLE_EXISTS' });
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
  });
});

describe.skipIf(!canMountTmpfs())('a full or read-only filesystem (private tmpfs)', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('size=16k');
  });
  afterAll(() => fs.cleanup());

  const leftovers = () => readdirSync(fs.dir).filter((n) => n !== 'data');

  it.each([
    ['no space left', 'size=16k', /^cannot write bundle .*\/b: no space left on device \(ENOSPC\)$/],
    ['no free inodes', 'nr_inodes=3', /^cannot write bundle .*\/b: no space left on device \(ENOSPC\)$/],
    ['read-only', 'ro', /^cannot write bundle .*\/b: read-only file system \(EROFS\)$/],
  ])('%s: BUNDLE_FAILED in one line, nothing left behind', async (_, options, message) => {
    fs.remount(options);
    try {
      const dir = path.join(fs.dir, 'b');
      await expect(writeBundle({ dir, spec: createBaseSpec(), files: [{ path: 'files/etc/big', content: 'x'.repeat(64 * 1024) }], metadata: meta, dataDir: path.join(fs.dir, 'data') })).rejects.toMatchObject({
        code: 'BUNDLE_FAILED',
        message: expect.stringMatching(message),
      });
      expect(leftovers()).toEqual([]);
    } finally {
      fs.remount('rw,size=16k');
    }
  });
});
