import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMountPoint } from '../../src/bundle/rootfs-mount.js';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';
import { ctnr, requireBuild, sandbox, type Sandbox } from '../unit/bundle/cli.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable } from '../helpers/runc.js';

/**
 * Bundles from the image store, as root: `<bundle>/rootfs` is an overlay over the store's unpacked image, so a
 * bundle costs no copy; the container's writes land in the bundle, never in the shared cache; every way of
 * removing a bundle unmounts it; a prune keeps a cache a mounted bundle uses.
 */
const ready = e2eAvailable('runc');

describe.skipIf(!ready)('image bundles: an overlay over the store', () => {
  let sb: Sandbox;
  let cleanupRootfs: () => void;
  let project: string;
  const bundle = () => path.join(sb.dataDir, 'bundles', 'ov-app');
  const run = (args: string[]) => ctnr([...args, '--data-dir', sb.dataDir], sb, { cwd: project });

  beforeAll(() => {
    requireBuild();
    sb = sandbox();
    const built = buildBusyboxRootfs();
    cleanupRootfs = built.cleanup;
    const layout = path.join(sb.dir, 'layout');
    writeOciLayout(layout, [{ ref: 'ovl/app:1', layers: [built.rootfs], gzip: true, config: { Cmd: ['/bin/sh', '-c', 'echo written > /marker; cat /marker'] } }]);
    project = path.join(sb.dir, 'p');
    mkdirSync(project);
    writeFileSync(path.join(project, 'compose.yaml'), 'name: ov\nservices:\n  app:\n    image: ovl/app:1\n    pull_policy: never\n');
    const imported = run(['image', 'import', layout]);
    expect(imported.status, imported.stderr).toBe(0);
  });

  afterAll(() => {
    // Never leave a mount behind, whatever the tests did (the sandbox's rm -rf would stop at it).
    if (sb && isMountPoint(path.join(bundle(), 'rootfs'))) spawnSync('umount', [path.join(bundle(), 'rootfs')]);
    sb?.cleanup();
    cleanupRootfs?.();
  });

  const cacheDirs = () => readdirSync(path.join(sb.dataDir, 'images', 'rootfs')).filter((n) => !n.startsWith('.'));

  it('mounts the cache at <bundle>/rootfs; the container writes into the bundle, not the cache', () => {
    const created = run(['bundle', 'create', 'app']);
    expect(created.status, created.stderr).toBe(0);
    expect(isMountPoint(path.join(bundle(), 'rootfs'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(bundle(), 'config.json'), 'utf8')).root.path).toBe('rootfs');
    const r = ctnr(['run', '--rm', '--runtime', 'runc', 'app', '--data-dir', path.join(sb.dir, 'data2'), '--pull', 'never'], sb, { cwd: project });
    // A second data dir has no image: never pulls, so this is a clean refusal…
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not in the store and the pull policy is "never"/);
    // …and with the store, the container runs and its write stays in the bundle's upper layer.
    const ran = run(['run', '--runtime', 'runc', 'app']);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('written');
    const [cache] = cacheDirs();
    expect(existsSync(path.join(sb.dataDir, 'images', 'rootfs', cache!, 'marker'))).toBe(false);
    expect(readFileSync(path.join(bundle(), 'overlay', 'upper', 'marker'), 'utf8')).toBe('written\n');
  });

  it('bundle create --force replaces a mounted bundle and leaves one mount', () => {
    const created = run(['bundle', 'create', '--force', 'app']);
    expect(created.status, created.stderr).toBe(0);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(sb.dataDir));
    expect(mounts).toHaveLength(1);
    expect(existsSync(path.join(bundle(), 'overlay', 'upper', 'marker'))).toBe(false);
  });

  it('prune keeps the cache a mounted bundle uses, even once the image is removed; bundle rm unmounts', () => {
    expect(run(['image', 'rm', 'ovl/app:1']).status).toBe(0);
    const pruned = run(['image', 'prune']);
    expect(pruned.status, pruned.stderr).toBe(0);
    expect(cacheDirs()).toHaveLength(1);
    const rm = run(['bundle', 'rm', 'ov-app']);
    expect(rm.status, rm.stderr).toBe(0);
    expect(existsSync(bundle())).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.dataDir);
    run(['image', 'prune']);
    expect(cacheDirs()).toEqual([]);
  });
});
