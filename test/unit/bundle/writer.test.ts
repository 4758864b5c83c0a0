import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkBundlePath, planMountSources, writeBundle, writeBundleFiles } from '../../../src/bundle/writer.js';
import { newMetadata } from '../../../src/bundle/metadata.js';
import type { BundleFile } from '../../../src/engine/types.js';
import type { Spec } from '../../../src/spec/types.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';

const isRoot = process.getuid?.() === 0;
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-writer-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o7777;
const meta = newMetadata({ service: 's', project: 'p', composeFile: '/c.yaml', inputDigest: 'sha256:0', rootless: false, rootfs: { kind: 'directory', path: '/r' } });
/** Everything in the parent of `dir` other than `keep`: the temporary siblings a failed write must not leave. */
const leftovers = (parent: string, keep: string[] = []) => readdirSync(parent).filter((n) => !keep.includes(n));

describe('writeBundleFiles', () => {
  it.each<{ name: string; files: BundleFile[]; expect: Record<string, { mode: number; content?: string; dir?: boolean }> }>([
    {
      name: 'a file gets 0644 and its parents 0755 by default',
      files: [{ path: 'files/etc/hosts', content: '127.0.0.1 localhost\n' }],
      expect: { 'files/etc/hosts': { mode: 0o644, content: '127.0.0.1 localhost\n' }, 'files/etc': { mode: 0o755, dir: true }, files: { mode: 0o755, dir: true } },
    },
    {
      name: 'a requested mode is kept exactly (umask does not narrow it)',
      files: [{ path: 'x/run.sh', content: 'echo', mode: 0o775 }, { path: 'd', kind: 'directory', mode: 0o1777 }],
      expect: { 'x/run.sh': { mode: 0o775, content: 'echo' }, d: { mode: 0o1777, dir: true } },
    },
    {
      name: 'a secret file defaults to 0600 and the folder holding it is 0700',
      files: [{ path: 'secrets/run/db_password', content: 's3cret', secret: true }, { path: 'secrets/other', content: 'x' }],
      expect: { 'secrets/run/db_password': { mode: 0o600, content: 's3cret' }, 'secrets/run': { mode: 0o700, dir: true }, secrets: { mode: 0o755, dir: true } },
    },
    {
      name: 'a declared folder holding a secret is narrowed to the owner',
      files: [{ path: 'sec', kind: 'directory', mode: 0o755 }, { path: 'sec/key', content: 'k', secret: true, mode: 0o440 }],
      expect: { sec: { mode: 0o700, dir: true }, 'sec/key': { mode: 0o440, content: 'k' } },
    },
    {
      name: 'anonymous volume directories are created empty',
      files: [{ path: 'volumes/F5SGC5DB', kind: 'directory' }],
      expect: { 'volumes/F5SGC5DB': { mode: 0o755, dir: true } },
    },
  ])('$name', ({ files, expect: want }) => {
    writeBundleFiles(tmp, files);
    for (const [rel, w] of Object.entries(want)) {
      const p = path.join(tmp, rel);
      expect(statSync(p).isDirectory(), rel).toBe(Boolean(w.dir));
      expect(mode(p).toString(8), rel).toBe(w.mode.toString(8));
      if (w.content !== undefined) expect(readFileSync(p, 'utf8')).toBe(w.content);
    }
  });

  it('copies copyFrom bytes at bundle time', () => {
    const src = path.join(tmp, 'src.bin');
    writeFileSync(src, Buffer.from([0, 1, 2, 255]));
    writeBundleFiles(path.join(tmp), [{ path: 'b/copy.bin', copyFrom: src, mode: 0o400 }]);
    expect([...readFileSync(path.join(tmp, 'b/copy.bin'))]).toEqual([0, 1, 2, 255]);
    expect(mode(path.join(tmp, 'b/copy.bin'))).toBe(0o400);
  });

  it.skipIf(!isRoot)('gives files and directories the requested owner', () => {
    writeBundleFiles(tmp, [{ path: 'o/f', content: 'x', uid: 1000, gid: 1001 }, { path: 'o/d', kind: 'directory', uid: 1002, gid: 1003 }]);
    const f = statSync(path.join(tmp, 'o/f'));
    const d = statSync(path.join(tmp, 'o/d'));
    expect([f.uid, f.gid, d.uid, d.gid]).toEqual([1000, 1001, 1002, 1003]);
  });

  it('refuses to write through a symlink (an image may hold etc -> /etc)', () => {
    mkdirSync(path.join(tmp, 'files'));
    const outside = path.join(tmp, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, path.join(tmp, 'files/etc'));
    expect(() => writeBundleFiles(tmp, [{ path: 'files/etc/passwd', content: 'x' }])).toThrow(/symlink/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it.each([
    ['../escape', /must be relative, without ".."/],
    ['/etc/passwd', /must be relative/],
    ['a/../../b', /must be relative, without ".."/],
    ['a//b', /empty segments/],
    ['config.json', /reserved/],
    ['ctnr.json', /reserved/],
    ['rootfs/etc/passwd', /reserved/],
    ['', /needs a path/],
  ])('rejects the path %j', (p, msg) => {
    expect(() => checkBundlePath(p)).toThrow(msg);
  });

  it('rejects a file with two of content, json and copyFrom, or none', () => {
    expect(() => writeBundleFiles(tmp, [{ path: 'a', content: 'x', copyFrom: '/etc/hostname' }])).toThrow(/exactly one/);
    expect(() => writeBundleFiles(tmp, [{ path: 'a', json: {}, content: 'x' }])).toThrow(/exactly one/);
    expect(() => writeBundleFiles(tmp, [{ path: 'b' }])).toThrow(/exactly one/);
    expect(() => writeBundleFiles(tmp, [{ path: 'd', kind: 'directory', json: {} }])).toThrow(/bundle directory d: a directory has no content/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('writes json data serialized on one line with a newline, with its mode', () => {
    writeBundleFiles(tmp, [{ path: 'ctnr/settings.json', json: { version: 1, names: ['a', 'b'] }, mode: 0o600 }]);
    expect(readFileSync(path.join(tmp, 'ctnr/settings.json'), 'utf8')).toBe('{"version":1,"names":["a","b"]}\n');
    expect(mode(path.join(tmp, 'ctnr/settings.json'))).toBe(0o600);
  });
});

function specWithMounts(mounts: Spec['mounts']): Spec {
  const s = createBaseSpec();
  s.mounts = [...(s.mounts ?? []), ...(mounts ?? [])];
  return s;
}

describe('planMountSources', () => {
  it('names volumes under <dataDir>/volumes/ and undeclared bundle-relative sources; ignores non-bind mounts', () => {
    const data = path.join(tmp, 'data');
    const plan = planMountSources(
      specWithMounts([
        { destination: '/a', type: 'bind', source: path.join(data, 'volumes/proj_db/_data'), options: ['rbind'] },
        { destination: '/b', type: 'none', source: 'volumes/ANON', options: ['bind'] },
        { destination: '/c', type: 'bind', source: 'files/declared', options: ['bind'] },
        { destination: '/d', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        { destination: '/e', type: 'bind', source: tmp, options: ['bind'] },
      ]),
      path.join(tmp, 'bundle'),
      data,
      new Set(['files/declared']),
    );
    expect(plan).toEqual({ volumes: [path.join(data, 'volumes/proj_db/_data')], bundleDirs: ['volumes/ANON'] });
  });

  it.each([
    [{ destination: '/x', type: 'bind', source: '/nonexistent/ctnr-src', options: ['bind'] }, /mounts\[6\] \(\/x\): bind mount source \/nonexistent\/ctnr-src does not exist/],
    [{ destination: '/y', type: 'bind', source: '../outside', options: ['bind'] }, /must stay inside the bundle/],
    // a path that only looks like it is below the volumes dir
    [{ destination: '/z', type: 'bind', source: '/var/lib/ctnr-test/volumes/../etc-nope', options: ['bind'] }, /does not exist/],
  ])('refuses %j', (m, msg) => {
    expect(() => planMountSources(specWithMounts([m]), tmp, '/var/lib/ctnr-test', new Set())).toThrow(msg);
  });
});

describe('writeBundle (atomic)', () => {
  it('writes config.json, ctnr.json, files, volume dirs; leaves no temporary sibling', async () => {
    const dir = path.join(tmp, 'bundles', 'b1');
    const data = path.join(tmp, 'data');
    const vol = path.join(data, 'volumes', 'p_db');
    const spec = specWithMounts([{ destination: '/db', type: 'bind', source: vol, options: ['rbind'] }, { destination: '/anon', type: 'bind', source: 'volumes/A', options: ['bind'] }]);
    await writeBundle({ dir, spec, files: [{ path: 'files/etc/hostname', content: 'h\n' }], metadata: meta, dataDir: data });
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(spec);
    expect(JSON.parse(readFileSync(path.join(dir, 'ctnr.json'), 'utf8'))).toEqual(meta);
    expect(readFileSync(path.join(dir, 'files/etc/hostname'), 'utf8')).toBe('h\n');
    expect(statSync(vol).isDirectory()).toBe(true);
    expect(mode(vol)).toBe(0o755);
    expect(statSync(path.join(dir, 'volumes/A')).isDirectory()).toBe(true);
    expect(leftovers(path.dirname(dir))).toEqual(['b1']);
  });

  it('refuses to replace an existing bundle without force, and leaves it untouched', async () => {
    const dir = path.join(tmp, 'b');
    await writeBundle({ dir, spec: createBaseSpec(), files: [{ path: 'old', content: 'old' }], metadata: meta, dataDir: tmp });
    await expect(writeBundle({ dir, spec: createBaseSpec(), metadata: meta, dataDir: tmp })).rejects.toMatchObject({ code: 'BUNDLE_EXISTS' });
    expect(readFileSync(path.join(dir, 'old'), 'utf8')).toBe('old');
    expect(leftovers(tmp)).toEqual(['b']);
  });

  it('replaces with force: the new content only, no old or temporary directory left', async () => {
    const dir = path.join(tmp, 'b');
    await writeBundle({ dir, spec: createBaseSpec(), files: [{ path: 'old', content: 'old' }], metadata: meta, dataDir: tmp });
    await writeBundle({ dir, spec: createBaseSpec(), files: [{ path: 'new', content: 'new' }], metadata: meta, dataDir: tmp, force: true });
    expect(existsSync(path.join(dir, 'old'))).toBe(false);
    expect(readFileSync(path.join(dir, 'new'), 'utf8')).toBe('new');
    expect(leftovers(tmp)).toEqual(['b']);
  });

  it.each([
    ['a missing bind source', { spec: specWithMounts([{ destination: '/m', type: 'bind', source: '/nonexistent/ctnr', options: ['bind'] }]), files: [] }, /does not exist/],
    ['a bad bundle file', { spec: createBaseSpec(), files: [{ path: 'ok', content: 'x' }, { path: '../bad', content: 'x' }] }, /must be relative, without ".."/],
    ['a failing prepare step', { spec: createBaseSpec(), files: [], prepare: () => { throw new Error('unpack failed'); } }, /unpack failed/],
  ])('on %s: nothing is left behind, an existing bundle stays, no volume is created', async (_name, input, msg) => {
    const fresh = path.join(tmp, 'fresh');
    const data = path.join(tmp, 'data');
    const withVolume = { ...input, spec: specWithMounts([...(input.spec.mounts ?? []), { destination: '/v', type: 'bind', source: path.join(data, 'volumes/v1'), options: ['bind'] }]) };
    await expect(writeBundle({ dir: fresh, metadata: meta, dataDir: data, ...withVolume })).rejects.toThrow(msg);
    expect(leftovers(tmp)).toEqual([]);

    const existing = path.join(tmp, 'existing');
    await writeBundle({ dir: existing, spec: createBaseSpec(), files: [{ path: 'keep', content: 'keep' }], metadata: meta, dataDir: data });
    await expect(writeBundle({ dir: existing, metadata: meta, dataDir: data, force: true, ...withVolume })).rejects.toThrow(msg);
    expect(readFileSync(path.join(existing, 'keep'), 'utf8')).toBe('keep');
    expect(leftovers(tmp)).toEqual(['existing']);
    expect(existsSync(path.join(data, 'volumes/v1'))).toBe(false);
  });
});
