import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../../src/bundle/create.js';
import { openProject } from '../../../src/project.js';
import { buildBusyboxRootfs, BUSYBOX } from '../../helpers/rootfs.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { writeOciLayout } from './oci-layout.js';

let tmp: string;
let rootfs: string;
let cleanup: () => void;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-create-'));
  ({ rootfs, cleanup } = buildBusyboxRootfs());
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  cleanup?.();
});

let n = 0;
/** A project directory with this compose file (and config), opened with a private data dir. */
async function project(compose: string, config?: object) {
  const dir = path.join(tmp, `p${++n}`);
  const data = path.join(dir, 'data');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), compose);
  if (config) writeFileSync(path.join(dir, 'ctnr.config.json'), JSON.stringify(config));
  const p = await openProject({ file: path.join(dir, 'compose.yaml'), env: { rootless: false, dataDir: data } });
  return { p, dir, data, bundles: path.join(data, 'bundles') };
}

describe.skipIf(!BUSYBOX)('createBundle', () => {
  it('writes a bundle that points at the rootfs in place, with metadata and a stable input digest', async () => {
    const { p, bundles, dir } = await project('name: demo\nservices:\n  web:\n    image: x\n    user: app\n    command: ["true"]\n');
    const a = await createBundle(p, 'web', { rootfs });
    expect(a.dir).toBe(path.join(bundles, 'demo-web'));
    const spec = JSON.parse(readFileSync(path.join(a.dir, 'config.json'), 'utf8'));
    expectValidSpec(spec);
    expect(spec.root.path).toBe(rootfs);
    expect(spec.process.user).toMatchObject({ uid: 1000, gid: 1000 });
    const meta = JSON.parse(readFileSync(path.join(a.dir, 'ctnr.json'), 'utf8'));
    expect(meta).toMatchObject({ service: 'web', project: 'demo', composeFile: path.join(dir, 'compose.yaml'), rootfs: { kind: 'directory', path: rootfs } });
    const b = await createBundle(p, 'web', { rootfs, force: true });
    expect(b.metadata.inputDigest).toBe(a.metadata.inputDigest);
    await expect(createBundle(p, 'web', { rootfs })).rejects.toMatchObject({ code: 'BUNDLE_EXISTS' });
  });

  it('an image: a service inherits through extends (from another file) picks its root filesystem, as for spec', async () => {
    const compose = ['name: ext', 'services:', '  web:', '    extends:', '      file: base.yaml', '      service: base', '    command: ["true"]', ''].join('\n');
    const { dir } = await project(compose);
    writeFileSync(path.join(dir, 'base.yaml'), 'services:\n  base:\n    image: acme/base:1\n    user: app\n');
    writeFileSync(path.join(dir, 'ctnr.config.json'), JSON.stringify({ images: { 'acme/base:1': { rootfs } } }));
    const p = await openProject({ file: path.join(dir, 'compose.yaml'), env: { rootless: false, dataDir: path.join(dir, 'data') } });
    const b = await createBundle(p, 'web');
    expect(JSON.parse(readFileSync(path.join(b.dir, 'config.json'), 'utf8')).root.path).toBe(rootfs);
    expect(b.spec.process!.user).toMatchObject({ uid: 1000, gid: 1000 });
  });

  it.each([
    ['a user the rootfs does not know', 'services:\n  s:\n    image: x\n    user: ghost\n    command: ["true"]\n', /ghost/],
    ['a missing bind source', 'services:\n  s:\n    image: x\n    command: ["true"]\n    volumes:\n      - type: bind\n        source: /nonexistent/ctnr-missing\n        target: /data\n', /nonexistent\/ctnr-missing/],
    ['a rootfs that is not a directory', 'services:\n  s:\n    image: x\n    command: ["true"]\n', /is not a directory/],
  ])('fails on %s and leaves no directory behind', async (name, compose, msg) => {
    const { p, bundles } = await project(compose);
    const opts = name.startsWith('a rootfs') ? { rootfs: '/etc/hostname' } : { rootfs };
    await expect(createBundle(p, 's', opts)).rejects.toThrow(msg);
    expect(existsSync(bundles) ? readdirSync(bundles) : []).toEqual([]);
  });

  it('takes the image from the store unless --rootfs, --image or the config maps it; no image: needs --rootfs', async () => {
    const none = await project('services:\n  s:\n    command: ["true"]\n');
    await expect(createBundle(none.p, 's')).rejects.toThrow(/has no image: and needs a root filesystem: pass --rootfs DIR or --image LAYOUT/);
    const { p } = await project('services:\n  s:\n    image: app:1\n    command: ["true"]\n', { pullPolicy: 'never' });
    await expect(createBundle(p, 's')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', message: expect.stringMatching(/image docker\.io\/library\/app:1 is needed but it is not in the store and the pull policy is "never" \(run: ctnr pull app:1\)/) });
    const mapped = await project('services:\n  s:\n    image: app:1\n    command: ["true"]\n', { images: { 'app:1': { rootfs } } });
    const b = await createBundle(mapped.p, 's');
    expect(b.spec.root?.path).toBe(rootfs);
  });

  it('unpacks an image layout into <bundle>/rootfs and takes its config', async () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, [{ ref: 'box:1', layers: [rootfs], gzip: true, config: { User: 'app', Cmd: ['/bin/echo', 'from-image'], WorkingDir: '/home/app' } }]);
    const { p } = await project('services:\n  s:\n    image: box:1\n');
    const b = await createBundle(p, 's', { image: layout });
    expect(b.spec.root?.path).toBe('rootfs');
    expect(existsSync(path.join(b.dir, 'rootfs/bin/busybox'))).toBe(true);
    expect(b.spec.process).toMatchObject({ args: ['/bin/echo', 'from-image'], cwd: '/home/app', user: { uid: 1000, gid: 1000 } });
    expect(b.metadata.rootfs).toMatchObject({ kind: 'image', layout });
  });
});
