import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/image/digest.js';
import { identityRoot } from '../../../src/image/identity.js';
import { ImageStore, type StoredImage } from '../../../src/image/store.js';
import { MEDIA, type Descriptor } from '../../../src/image/types.js';
import { makeLayer } from '../../helpers/registry.js';

let dir: string;
let store: ImageStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-identity-'));
  store = new ImageStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Entries = Parameters<typeof makeLayer>[0];

/** An image whose layers (bottom first) are stored only when `stored` says so; fetchLayer stores the rest. */
function image(layers: Entries[], stored: boolean[] = layers.map(() => true)) {
  const descs: Descriptor[] = [];
  const bytes = new Map<string, Buffer>();
  layers.forEach((entries, i) => {
    const tar = makeLayer(entries);
    const desc = { mediaType: MEDIA.ociLayer, digest: sha256(tar), size: tar.length };
    bytes.set(desc.digest, tar);
    if (stored[i]) store.writeBytes(desc.digest, tar);
    descs.push(desc);
  });
  const fetched: string[] = [];
  const fetchLayer = async (d: Descriptor) => {
    fetched.push(d.digest);
    store.writeBytes(d.digest, bytes.get(d.digest)!);
  };
  const img = { manifestDigest: sha256(JSON.stringify(descs)), layers: descs, reference: 'x' } as unknown as StoredImage;
  return { img, fetchLayer, fetched, descs };
}

const read = (root: { kind: string; dir?: string }, f: string) => {
  const p = path.join((root as { dir: string }).dir, f);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
};

describe('identity files for a spec', () => {
  it('reads the top-most copies and fetches no layer below them', async () => {
    const { img, fetchLayer, fetched, descs } = image(
      [{ 'etc/passwd': 'old\n', 'etc/group': 'oldg\n', 'bin/big': 'x' }, { 'etc/passwd': 'new\n' }, { 'etc/group': 'newg\n' }],
      [false, false, false],
    );
    const root = await identityRoot(store, img, fetchLayer);
    expect(read(root, 'etc/passwd')).toBe('new\n');
    expect(read(root, 'etc/group')).toBe('newg\n');
    expect(fetched).toEqual([descs[2]!.digest, descs[1]!.digest]);
  });

  it.each<[string, Entries[], string | undefined]>([
    ['a whiteout hides a lower passwd', [{ 'etc/passwd': 'old\n', 'etc/group': 'g\n' }, { 'etc/.wh.passwd': '' }], undefined],
    ['an opaque /etc hides lower files', [{ 'etc/passwd': 'old\n', 'etc/group': 'g\n' }, { 'etc/.wh..wh..opq': '', 'etc/group': 'g2\n' }], undefined],
    ['./-prefixed names count', [{ './etc/passwd': 'dot\n' }], 'dot\n'],
  ])('%s', async (_what, layers, passwd) => {
    const { img, fetchLayer } = image(layers);
    const root = await identityRoot(store, img, fetchLayer);
    expect(root.kind).toBe('root');
    expect(read(root, 'etc/passwd')).toBe(passwd);
  });

  it.each<[string, Entries]>([
    ['passwd is a symlink', { 'etc/passwd': { type: 'symlink', target: '../usr/lib/passwd' } }],
    ['/etc is a symlink', { etc: { type: 'symlink', target: 'private/etc' } }],
  ])('%s: the whole image must be unpacked instead', async (_what, top) => {
    const { img, fetchLayer } = image([{ 'etc/passwd': 'old\n' }, top]);
    expect(await identityRoot(store, img, fetchLayer)).toEqual({ kind: 'needs-rootfs' });
  });
});
