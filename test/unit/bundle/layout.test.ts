import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLayout, unpackLayers } from '../../../src/bundle/layout.js';
import { parsePlatform } from '../../../src/image/platform.js';
import { writeOciLayout } from './oci-layout.js';

const AMD64 = { os: 'linux', architecture: 'amd64' };

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-layout-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (!rel.endsWith('/')) writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe('OCI image layout', () => {
  it('unpacks layers bottom first and applies whiteouts and opaque markers of upper layers', async () => {
    const lower = tree('l0', { 'etc/keep': 'lower', 'etc/gone': 'x', 'cache/a': 'a', 'cache/b': 'b', 'over': 'lower' });
    const upper = tree('l1', { 'etc/.wh.gone': '', 'cache/.wh..wh..opq': '', 'cache/c': 'c', 'over': 'upper' });
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, [{ ref: 'demo:1', layers: [lower, upper], gzip: true, config: { Cmd: ['/bin/sh'], User: 'app' } }]);
    const img = readLayout(layout, 'demo:1', AMD64);
    expect(img.config).toEqual({ Cmd: ['/bin/sh'], User: 'app' });
    const rootfs = path.join(tmp, 'rootfs');
    await unpackLayers(img, rootfs);
    expect(readFileSync(path.join(rootfs, 'etc/keep'), 'utf8')).toBe('lower');
    expect(existsSync(path.join(rootfs, 'etc/gone'))).toBe(false);
    expect(existsSync(path.join(rootfs, 'etc/.wh.gone'))).toBe(false);
    expect(readdirSync(path.join(rootfs, 'cache'))).toEqual(['c']);
    expect(readFileSync(path.join(rootfs, 'over'), 'utf8')).toBe('upper');
  });

  it.each([
    // layout refs, service image, expected ref chosen (or error)
    [['web:1', 'db:2'], 'db:2', 'db:2'],
    [['web:1', 'db:2'], 'registry.example/team/db:2', undefined],
    [['latest'], 'busybox', 'latest'],
    [['busybox:latest'], 'busybox', 'busybox:latest'],
    [['only'], 'something-else', 'only'],
    [['a', 'b'], undefined, undefined],
  ])('layout %j, image %j → %j', (refs, image, want) => {
    const layout = path.join(tmp, 'layout');
    const dir = tree('l', { f: 'x' });
    writeOciLayout(layout, refs.map((ref) => ({ ref, layers: [dir], config: { Labels: { ref } } })));
    if (want === undefined) {
      expect(() => readLayout(layout, image, AMD64)).toThrow(/several images/);
    } else {
      expect(readLayout(layout, image, AMD64).config.Labels).toEqual({ ref: want });
    }
  });

  it.each([
    // index entries (ref, arch, variant), the platform wanted → the entry chosen (its Labels.ref) or the error
    { entries: [['app:1', 'amd64'], ['app:1', 'arm64', 'v8']], want: 'linux/arm64', chosen: 'app:1 arm64' },
    { entries: [['app:1', 'amd64'], ['app:1', 'arm64', 'v8']], want: 'linux/amd64', chosen: 'app:1 amd64' },
    { entries: [['app:1', 'amd64'], ['app:1', 'arm64', 'v8']], want: 'linux/riscv64', error: 'index.json has no manifest named "app:1" for linux/riscv64' },
    { entries: [['app:1', 'arm', 'v6'], ['app:1', 'arm', 'v7']], want: 'linux/arm/v7', chosen: 'app:1 arm' },
    { entries: [['app:1', 'arm', 'v7'], ['app:1', 'arm', 'v6']], want: 'linux/arm/v6', chosen: 'app:1 arm' },
    { entries: [['app:1', 'arm', 'v7']], want: 'linux/arm/v6', error: 'has no manifest named "app:1" for linux/arm/v6' },
    { entries: [['app:1', 'amd64'], ['other:2', 'arm64']], want: 'linux/arm64', error: 'has no manifest named "app:1" for linux/arm64' },
    { entries: [[undefined, 'amd64'], [undefined, 'arm64']], want: 'linux/arm64', chosen: 'undefined arm64' },
  ])('a layout of several platforms, $want wanted: $chosen$error', ({ entries, want, chosen, error }) => {
    const layout = path.join(tmp, 'layout');
    const dir = tree('l', { f: 'x' });
    writeOciLayout(layout, entries.map(([ref, arch, variant]) => ({
      ...(ref ? { ref } : {}), arch, ...(variant ? { variant } : {}), layers: [dir], config: { Labels: { ref: `${ref} ${arch}`, variant: variant ?? '' } },
    })));
    const platform = parsePlatform(want);
    if (error) {
      expect(() => readLayout(layout, 'app:1', platform)).toThrow(error);
    } else {
      const labels = readLayout(layout, 'app:1', platform).config.Labels!;
      expect(labels.ref).toBe(chosen);
      // the variant asked for when the layout has it
      if (platform.variant) expect(labels.variant).toBe(platform.variant);
    }
  });

  it('rejects a blob whose bytes do not match its digest', () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, [{ layers: [tree('l', { f: 'x' })] }]);
    const img = readLayout(layout, undefined, AMD64);
    writeFileSync(img.layers[0]!.path, 'tampered');
    expect(() => unpackLayers(img, path.join(tmp, 'rootfs'))).toThrow(/does not match its digest/);
  });

  it('names a directory that is not a layout', () => {
    expect(() => readLayout(tmp, undefined, AMD64)).toThrow(/is not an OCI image layout/);
  });
});
