import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podmanImageName } from '../../../src/runtime-shim/podman-image.js';

const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** containers/storage as podman 4.3 leaves it (vfs): `<root>/vfs-containers/containers.json` and each container's userdata. */
function layout(root: string, records: unknown, mode = 0o600): string {
  const store = path.join(root, 'vfs-containers');
  const bundle = path.join(store, ID, 'userdata');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(path.join(store, 'containers.json'), typeof records === 'string' ? records : JSON.stringify(records), { mode });
  chmodSync(path.join(store, 'containers.json'), mode);
  return bundle;
}

const record = (id: string, imageName: unknown) => ({ id, names: ['c1'], image: 'f'.repeat(64), metadata: JSON.stringify({ 'image-name': imageName, name: 'c1' }) });

describe("podman's image name from its container record", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ctnr-podman-image-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('the container’s image-name', () => {
    const bundle = layout(root, [record(OTHER, 'docker.io/library/other:1'), record(ID, 'docker.io/library/nginx:1.27')]);
    expect(podmanImageName(ID, bundle)).toBe('docker.io/library/nginx:1.27');
  });

  it.each([
    ['another container only', [record(OTHER, 'x:1')], 0o600],
    ['no image-name', [record(ID, undefined)], 0o600],
    ['not JSON', '{"id":', 0o600],
    ['a record others may write', [record(ID, 'docker.io/library/nginx:1.27')], 0o622],
  ])('none for %s', (_what, records, mode) => {
    expect(podmanImageName(ID, layout(root, records, mode))).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)('none when the record belongs to another user, or is a symlink', () => {
    const bundle = layout(root, [record(ID, 'docker.io/library/nginx:1.27')]);
    const file = path.join(root, 'vfs-containers', 'containers.json');
    chownSync(file, 65534, 65534);
    expect(podmanImageName(ID, bundle)).toBeUndefined();
    chownSync(file, 0, 0);
    rmSync(file);
    writeFileSync(path.join(root, 'elsewhere.json'), JSON.stringify([record(ID, 'registry.internal/app:1')]), { mode: 0o600 });
    symlinkSync(path.join(root, 'elsewhere.json'), file);
    expect(podmanImageName(ID, bundle)).toBeUndefined();
  });

  it('none for a bundle that is not in podman’s layout (or names another container)', () => {
    layout(root, [record(ID, 'docker.io/library/nginx:1.27')]);
    expect(podmanImageName(ID, path.join(root, 'vfs-containers', ID))).toBeUndefined();
    expect(podmanImageName(OTHER, path.join(root, 'vfs-containers', ID, 'userdata'))).toBeUndefined();
    mkdirSync(path.join(root, 'elsewhere', ID, 'userdata'), { recursive: true });
    writeFileSync(path.join(root, 'elsewhere', 'containers.json'), JSON.stringify([record(ID, 'x:1')]), { mode: 0o600 });
    expect(podmanImageName(ID, path.join(root, 'elsewhere', ID, 'userdata'))).toBeUndefined();
  });
});
