import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../unit/hardening/tmpfs.js';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';
import { expectValidSpec } from '../helpers/schema.js';

/** `ctnr bundle create` never destroys what it does not own, and fails cleanly on a bad disk (issue 16 items 2, 7). */
const root = tempRoot('bundle');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

const dir = project(root.dir, 'p', SIMPLE);
const rootfs = path.join(root.dir, 'rootfs');
mkdirSync(rootfs);

describe('bundle create --force DIR', () => {
  it('refuses a project directory and leaves it as it was', () => {
    const victim = project(root.dir, 'victim', SIMPLE, { 'src/main.ts': 'code' });
    const r = ctnr(dir, ['bundle', 'create', 'web', victim, '--force', '--rootfs', rootfs]);
    expect(r.stderr).toBe(`error: ${victim} is a directory but not a ctnr bundle (no ctnr.json); --force replaces only a bundle ctnr created, so it is left alone\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(victim).sort()).toEqual(['compose.yaml', 'package.json', 'src']);
    expect(readFileSync(path.join(victim, 'src/main.ts'), 'utf8')).toBe('code');
  });

  it('refuses a regular file', () => {
    const file = path.join(root.dir, 'notes.txt');
    writeFileSync(file, 'keep me');
    const r = ctnr(dir, ['bundle', 'create', 'web', file, '--force', '--rootfs', rootfs]);
    expect(r.stderr).toBe(`error: ${file} is not a directory; --force replaces only a bundle ctnr created, so it is left alone\n`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('replaces a bundle it created', () => {
    const b = path.join(root.dir, 'bundle');
    expect(ctnr(dir, ['bundle', 'create', 'web', b, '--rootfs', rootfs]).status).toBe(0);
    const again = ctnr(dir, ['bundle', 'create', 'web', b, '--force', '--rootfs', rootfs]);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(`${b}\n`);
  });
});

describe.skipIf(!canMountTmpfs())('bundle create on a bad disk (private tmpfs)', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('size=8k');
  });
  afterAll(() => fs.cleanup());

  it.each([
    ['full', 'rw', 'no space left on device (ENOSPC)'],
    ['read-only', 'ro', 'read-only file system (EROFS)'],
  ])('%s: one line, exit 1, nothing left behind', (_, options, reason) => {
    fs.remount(options);
    try {
      const b = path.join(fs.dir, 'b');
      const r = ctnr(dir, ['bundle', 'create', 'web', b, '--rootfs', rootfs, '--data-dir', path.join(root.dir, 'data')]);
      expect(r.stderr).toBe(`error: cannot write bundle ${b}: ${reason}\n`);
      expect(r.status).toBe(1);
      expect(readdirSync(fs.dir)).toEqual([]);
    } finally {
      fs.remount('rw');
    }
  });
});

// config.json holds the container's environment, volumes the containers' data: others on the host read neither.
describe('what others on the host can read', () => {
  const modeOf = (p: string) => (lstatSync(p).mode & 0o7777).toString(8);
  const withVolume = 'services:\n  web:\n    command: ["true"]\n    environment: [TOKEN=s3cret]\n    volumes: [data:/data]\nvolumes:\n  data: {}\n';

  it('config.json is 0600; the data dir’s bundles and volumes directories are 0700', () => {
    const p = project(root.dir, 'private', withVolume);
    const data = path.join(root.dir, 'private-data');
    const r = ctnr(p, ['bundle', 'create', 'web', '--rootfs', rootfs, '--data-dir', data]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const bundle = path.join(data, 'bundles', 'private-web');
    expectValidSpec(JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')));
    expect(readFileSync(path.join(bundle, 'config.json'), 'utf8')).toContain('TOKEN=s3cret');
    expect([modeOf(path.join(bundle, 'config.json')), modeOf(path.join(data, 'bundles')), modeOf(path.join(data, 'volumes'))]).toEqual(['600', '700', '700']);
    // The volume itself keeps the mode containers see (the image's, else 0755).
    expect(modeOf(path.join(data, 'volumes', 'private_data'))).toBe('755');
  });

  it('an earlier ctnr’s 0755 directories become 0700; a symlink in their place is left alone', () => {
    const p = project(root.dir, 'older', withVolume);
    const data = path.join(root.dir, 'older-data');
    mkdirSync(path.join(data, 'bundles'), { recursive: true, mode: 0o755 });
    chmodSync(path.join(data, 'bundles'), 0o755);
    const elsewhere = path.join(root.dir, 'volumes-elsewhere');
    mkdirSync(elsewhere, { mode: 0o755 });
    chmodSync(elsewhere, 0o755);
    symlinkSync(elsewhere, path.join(data, 'volumes'));
    const r = ctnr(p, ['bundle', 'create', 'web', '--rootfs', rootfs, '--data-dir', data]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect([modeOf(path.join(data, 'bundles')), modeOf(elsewhere)]).toEqual(['700', '755']);
    expectValidSpec(JSON.parse(readFileSync(path.join(data, 'bundles', 'older-web', 'config.json'), 'utf8')));
  });
});
