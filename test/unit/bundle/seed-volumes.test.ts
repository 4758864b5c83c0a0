import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedVolumes, volumeSeeds, type VolumeSeed } from '../../../src/bundle/seed-volumes.js';
import type { Spec } from '../../../src/spec/types.js';

const isRoot = process.getuid?.() === 0;
const DATA = '/var/lib/ctnr';
const bind = (source: string, destination: string) => ({ type: 'bind', source, destination, options: ['rbind'] });

describe('volumeSeeds: which mounts docker would fill from the image', () => {
  it.each<[string, Spec['mounts'], Array<Record<string, unknown>> | undefined, VolumeSeed[]]>([
    ['a named volume', [bind(`${DATA}/volumes/p_data`, '/data')], [{ type: 'volume', source: 'data', target: '/data' }], [{ volume: `${DATA}/volumes/p_data`, destination: '/data' }]],
    ['an anonymous volume (bundle-relative)', [bind('volumes/anon-data-1a2b3c4d', '/data')], [{ type: 'volume', target: '/data' }], [{ volume: 'volumes/anon-data-1a2b3c4d', destination: '/data' }]],
    ['an image VOLUME (no service entry)', [bind('volumes/anon-cache-0a1b2c3d', '/cache')], undefined, [{ volume: 'volumes/anon-cache-0a1b2c3d', destination: '/cache' }]],
    ['nocopy, matched by its cleaned target', [bind(`${DATA}/volumes/p_data`, '/data')], [{ type: 'volume', source: 'data', target: '/data/', volume: { nocopy: true } }], []],
    ['nocopy: false fills', [bind(`${DATA}/volumes/p_data`, '/data')], [{ type: 'volume', source: 'data', target: '/data', volume: { nocopy: false } }], [{ volume: `${DATA}/volumes/p_data`, destination: '/data' }]],
    ['a volume subpath (part of a volume)', [bind(`${DATA}/volumes/p_data/sub`, '/data')], [{ type: 'volume', source: 'data', target: '/data', volume: { subpath: 'sub' } }], []],
    ['a host bind', [bind('/srv/www', '/www')], [{ type: 'bind', source: '/srv/www', target: '/www' }], []],
    ['a local-driver bind volume (the host directory is not ctnr’s)', [bind('/srv/db', '/db')], [{ type: 'volume', source: 'db', target: '/db' }], []],
    ['a secret (a bundle file)', [bind('secrets/token', '/run/secrets/token')], undefined, []],
    ['a tmpfs', [{ type: 'tmpfs', source: 'tmpfs', destination: '/tmp', options: [] }], [{ type: 'tmpfs', target: '/tmp' }], []],
    ['a volume of another data dir', [bind('/elsewhere/volumes/p_data', '/data')], undefined, []],
    ['a named volume through volumes_from (no volume entry of the service there)', [bind(`${DATA}/volumes/p_data`, '/data')], [{ type: 'volume', source: 'other', target: '/other' }], []],
    ['another container’s anonymous volume through volumes_from', [bind(`${DATA}/bundles/p-data/volumes/anon-data-1a2b3c4d`, '/data')], undefined, []],
    ['no mounts', undefined, undefined, []],
  ])('%s', (_what, mounts, volumes, expected) => {
    const spec = { ociVersion: '1.2.0', ...(mounts ? { mounts } : {}) } as Spec;
    expect(volumeSeeds(spec, volumes, DATA)).toEqual(expected);
  });
});

describe('seedVolumes', () => {
  let dir: string;
  let rootfs: string;
  let bundle: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-seed-'));
    rootfs = path.join(dir, 'rootfs');
    bundle = path.join(dir, 'bundle');
    mkdirSync(path.join(rootfs, 'data/sub'), { recursive: true });
    writeFileSync(path.join(rootfs, 'data/a.txt'), 'a\n');
    writeFileSync(path.join(rootfs, 'data/sub/b.txt'), 'b\n');
    writeFileSync(path.join(rootfs, 'file'), 'not a directory\n');
    mkdirSync(path.join(bundle, 'volumes'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const vol = (name: string, content: Record<string, string> = {}) => {
    const p = path.join(dir, 'volumes', name);
    mkdirSync(p, { recursive: true });
    for (const [f, text] of Object.entries(content)) writeFileSync(path.join(p, f), text);
    return p;
  };
  const tree = (p: string): string[] =>
    readdirSync(p, { recursive: true, encoding: 'utf8' })
      .map((f) => f + (lstatSync(path.join(p, f)).isDirectory() ? '/' : `=${readFileSync(path.join(p, f), 'utf8').trim()}`))
      .sort();

  it('fills an empty named volume and an anonymous one; leaves no copy beside them', async () => {
    const named = vol('p_data');
    mkdirSync(path.join(bundle, 'volumes/anon-data'));
    const filled = await seedVolumes(
      [
        { volume: named, destination: '/data' },
        { volume: 'volumes/anon-data', destination: '/data/' },
      ],
      { bundleDir: bundle, rootfs },
    );
    expect(filled).toEqual([named, path.join(bundle, 'volumes/anon-data')]);
    expect(tree(named)).toEqual(['a.txt=a', 'sub/', 'sub/b.txt=b']);
    expect(tree(path.join(bundle, 'volumes/anon-data'))).toEqual(['a.txt=a', 'sub/', 'sub/b.txt=b']);
    expect(readdirSync(path.join(dir, 'volumes'))).toEqual(['p_data']);
    expect(readdirSync(path.join(bundle, 'volumes'))).toEqual(['anon-data']);
  });

  it('fills the volume’s own directory, which a running container may have mounted, and takes the image directory’s mode', async () => {
    const named = vol('p_data');
    const before = lstatSync(named).ino;
    chmodSync(path.join(rootfs, 'data'), 0o701);
    await seedVolumes([{ volume: named, destination: '/data' }], { bundleDir: bundle, rootfs });
    expect(lstatSync(named).ino).toBe(before);
    expect(lstatSync(named).mode & 0o777).toBe(0o701);
    expect(tree(named)).toEqual(['a.txt=a', 'sub/', 'sub/b.txt=b']);
    expect(readdirSync(path.join(dir, 'volumes'))).toEqual(['p_data']);
  });

  it.each([
    ['a volume with content is left as it is', { 'mine.txt': 'mine' }, '/data', ['mine.txt=mine']],
    ['a destination the image lacks', {}, '/missing', []],
    ['a destination that is a file in the image', {}, '/file', []],
  ])('%s', async (_what, content, destination, expected) => {
    const named = vol('p_v', content);
    expect(await seedVolumes([{ volume: named, destination }], { bundleDir: bundle, rootfs })).toEqual([]);
    expect(tree(named)).toEqual(expected);
  });

  it('follows the image’s symlinks inside its root only: an absolute link to /etc is the image’s /etc', async () => {
    mkdirSync(path.join(rootfs, 'etc'));
    writeFileSync(path.join(rootfs, 'etc/marker'), 'image\n');
    symlinkSync('/etc', path.join(rootfs, 'conf'));
    symlinkSync('../../../../../../etc', path.join(rootfs, 'up'));
    const a = vol('p_a');
    const b = vol('p_b');
    await seedVolumes(
      [
        { volume: a, destination: '/conf' },
        { volume: b, destination: '/up' },
      ],
      { bundleDir: bundle, rootfs },
    );
    expect(tree(a)).toEqual(['marker=image']);
    expect(tree(b)).toEqual(['marker=image']);
  });

  it('removes a copy a killed run left (its process is gone), not one of a live process', async () => {
    const named = vol('p_data');
    const dead = path.join(dir, 'volumes', '.p_data.seed-999999999-1');
    const live = path.join(dir, 'volumes', `.p_data.seed-${process.ppid}-1`);
    mkdirSync(dead);
    mkdirSync(live);
    await seedVolumes([{ volume: named, destination: '/data' }], { bundleDir: bundle, rootfs });
    expect([existsSync(dead), existsSync(live)]).toEqual([false, true]);
  });

  it.skipIf(!isRoot)('keeps owners, and gives the volume the image directory’s owner and mode', async () => {
    chownSync(path.join(rootfs, 'data/sub/b.txt'), 1234, 2345);
    chownSync(path.join(rootfs, 'data'), 42, 43);
    const named = vol('p_data');
    await seedVolumes([{ volume: named, destination: '/data' }], { bundleDir: bundle, rootfs });
    expect([lstatSync(named).uid, lstatSync(named).gid]).toEqual([42, 43]);
    expect([lstatSync(path.join(named, 'sub/b.txt')).uid, lstatSync(path.join(named, 'sub/b.txt')).gid]).toEqual([1234, 2345]);
  });
});
