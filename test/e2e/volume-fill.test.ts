import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMountPoint } from '../../src/bundle/rootfs-mount.js';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';
import { ctnr, requireBuild, sandbox, type Sandbox } from '../unit/bundle/cli.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable } from '../helpers/runc.js';

/**
 * Volumes filled from the image, as docker and podman fill them: a service's empty named or anonymous volume, and
 * the image's own VOLUME, get the image's files at the mount point (owners and modes kept) when the container is
 * made; a volume with content is used as it is, so the container's own changes survive the next run; `nocopy`
 * keeps a volume empty; a symlink in the image never makes the copy read the host. Under runc, from the image
 * store (the bundle's rootfs an overlay over the store's unpacked image).
 */
const ready = e2eAvailable('runc');

describe.skipIf(!ready)('volumes filled from the image', () => {
  let sb: Sandbox;
  let cleanupRootfs: () => void;
  let project: string;
  const run = (...args: string[]) => ctnr([...args, '--data-dir', sb.dataDir], sb, { cwd: project });
  const volume = (name: string) => path.join(sb.dataDir, 'volumes', `vf_${name}`);
  const owner = (p: string) => {
    const st = lstatSync(p);
    return `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
  };

  beforeAll(() => {
    requireBuild();
    sb = sandbox();
    const built = buildBusyboxRootfs();
    cleanupRootfs = built.cleanup;
    // A second layer: /data with files of another owner, a private directory mode and a symlink; /etc/marker; /esc,
    // a symlink to /etc (absolute: in the container it is the image's /etc, never the host's); /file, a file.
    const extra = path.join(sb.dir, 'extra');
    mkdirSync(path.join(extra, 'data/sub'), { recursive: true });
    writeFileSync(path.join(extra, 'data/a.txt'), 'from the image\n');
    writeFileSync(path.join(extra, 'data/sub/b.txt'), 'deep\n');
    symlinkSync('a.txt', path.join(extra, 'data/link'));
    chownSync(path.join(extra, 'data/sub'), 1234, 2345);
    chownSync(path.join(extra, 'data/sub/b.txt'), 1234, 2345);
    chmodSync(path.join(extra, 'data'), 0o750);
    mkdirSync(path.join(extra, 'etc'));
    writeFileSync(path.join(extra, 'etc/marker'), 'image etc\n');
    symlinkSync('/etc', path.join(extra, 'esc'));
    mkdirSync(path.join(extra, 'cache'));
    writeFileSync(path.join(extra, 'cache/c.txt'), 'image volume\n');
    mkdirSync(path.join(extra, 'anon'));
    writeFileSync(path.join(extra, 'anon/d.txt'), 'anonymous\n');
    // /empty has files in the image too: nocopy must keep them out of the volume.
    mkdirSync(path.join(extra, 'empty'));
    writeFileSync(path.join(extra, 'empty/e.txt'), 'not copied\n');
    const layout = path.join(sb.dir, 'layout');
    writeOciLayout(layout, [{ ref: 'vf/app:1', layers: [built.rootfs, extra], config: { Volumes: { '/cache': {} } } }]);
    project = path.join(sb.dir, 'p');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'compose.yaml'),
      [
        'name: vf',
        'services:',
        '  app:',
        '    image: vf/app:1',
        '    pull_policy: never',
        '    network_mode: none',
        '    command: ["sh", "-c", "cat /data/a.txt /data/link /data/sub/b.txt /cache/c.txt /anon/d.txt /esc/marker; ls -A /empty | wc -l; echo changed > /data/a.txt; rm /data/sub/b.txt"]',
        '    volumes:',
        '      - data:/data',
        '      - /anon',
        '      - esc:/esc',
        '      - type: volume',
        '        source: empty',
        '        target: /empty',
        '        volume:',
        '          nocopy: true',
        'volumes:',
        '  data: {}',
        '  esc: {}',
        '  empty: {}',
        '',
      ].join('\n'),
    );
    const imported = run('image', 'import', layout);
    expect(imported.status, imported.stderr).toBe(0);
  });

  afterAll(() => {
    const rootfs = path.join(sb?.dataDir ?? '/nonexistent', 'bundles', 'vf-app', 'rootfs');
    if (sb && isMountPoint(rootfs)) spawnSync('umount', [rootfs]);
    sb?.cleanup();
    cleanupRootfs?.();
  });

  it('the first run sees the image’s files in its empty volumes, with their owners and modes', () => {
    const r = run('run', '--runtime', 'runc', 'app');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('from the image\nfrom the image\ndeep\nimage volume\nanonymous\nimage etc\n0\n');
    // On the host: the named volume holds the copy (a symlink stays a symlink), the volume's own directory took the
    // image directory's mode, and the other owner is kept.
    expect(owner(volume('data'))).toBe('0:0 750');
    expect(owner(path.join(volume('data'), 'sub'))).toBe('1234:2345 755');
    expect(lstatSync(path.join(volume('data'), 'link')).isSymbolicLink()).toBe(true);
    // The image's /etc through its /esc symlink, not the host's /etc (runc then mounted the volume at /etc, and made
    // its mount points for /etc/hosts and the others in it).
    expect(readdirSync(volume('esc'))).toEqual(expect.arrayContaining(['group', 'marker', 'passwd']));
    expect(readdirSync('/etc').filter((f) => existsSync(path.join(volume('esc'), f)))).toEqual(expect.not.arrayContaining(['os-release', 'debian_version', 'fstab']));
    expect(readdirSync(volume('empty'))).toEqual([]);
    // No copy left beside the volumes.
    expect(readdirSync(path.join(sb.dataDir, 'volumes')).sort()).toEqual(['vf_data', 'vf_empty', 'vf_esc']);
  });

  it('a volume with content is used as it is: the container’s changes survive the next run', () => {
    const r = run('run', '--runtime', 'runc', 'app');
    expect(r.status).toBe(1); // /data/sub/b.txt is gone, as the first run left it
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['changed', 'changed']);
    expect(r.stderr).toContain("can't open '/data/sub/b.txt'");
    expect(readFileSync(path.join(volume('data'), 'a.txt'), 'utf8')).toBe('changed\n');
  });

  it('an emptied volume is filled again when the next container is made, as docker does', () => {
    spawnSync('sh', ['-c', `rm -rf ${volume('data')}/* ${volume('data')}/.[!.]*`]);
    expect(readdirSync(volume('data'))).toEqual([]);
    const created = run('bundle', 'create', '--force', 'app');
    expect(created.status, created.stderr).toBe(0);
    expect(readFileSync(path.join(volume('data'), 'a.txt'), 'utf8')).toBe('from the image\n');
    // The anonymous volume lives in the new bundle, filled from the image.
    const anon = readdirSync(path.join(sb.dataDir, 'bundles', 'vf-app', 'volumes'));
    expect(anon.map((d) => readdirSync(path.join(sb.dataDir, 'bundles', 'vf-app', 'volumes', d)))).toEqual(expect.arrayContaining([['d.txt'], ['c.txt']]));
  });
});
