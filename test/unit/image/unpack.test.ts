import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compressionOf, decompress } from '../../../src/image/compression.js';
import { rootlessIdMapping } from '../../../src/image/idmap.js';
import type { Compression } from '../../../src/image/types.js';
import { applyLayer, type ApplyLayerOptions } from '../../../src/image/unpack.js';
import { gzip, tarArchive, zstd, type TarSpec } from '../../helpers/tar.js';

const isRoot = process.getuid?.() === 0;
const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as { getAttributeSync(p: string, n: string): Buffer | null };

let tmp: string;
let root: string;
/** Outside the root: what a hostile layer aims at. Every test checks it is exactly as it was. */
let sentinel: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-unpack-'));
  root = path.join(tmp, 'rootfs');
  mkdirSync(root);
  sentinel = mkdtempSync(path.join(os.tmpdir(), 'ctnr-sentinel-'));
  writeFileSync(path.join(sentinel, 'secret'), 'host secret');
  mkdirSync(path.join(sentinel, 'sub'), { mode: 0o700 });
  chmodSync(path.join(sentinel, 'sub'), 0o700);
});
afterEach(() => {
  expectSentinelUntouched();
  // Unprivileged runs leave read-only directories (the layers said so): open them up to clean up.
  if (!isRoot) spawnSync('chmod', ['-R', 'u+rwX', tmp]);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(sentinel, { recursive: true, force: true });
});

function expectSentinelUntouched(): void {
  expect(readdirSync(sentinel).sort()).toEqual(['secret', 'sub']);
  expect(readFileSync(path.join(sentinel, 'secret'), 'utf8')).toBe('host secret');
  expect(statSync(path.join(sentinel, 'secret')).nlink).toBe(1);
  expect(readdirSync(path.join(sentinel, 'sub'))).toEqual([]);
  expect(statSync(path.join(sentinel, 'sub')).mode & 0o7777).toBe(0o700);
}

/** Where an absolute host path lands when a layer names it: inside the root, as in a chroot. */
const inRoot = (p: string) => path.join(root, p);

async function apply(entries: TarSpec[], opts: Partial<ApplyLayerOptions> & { compress?: Compression } = {}) {
  const raw = tarArchive(entries);
  const data = opts.compress === 'gzip' ? gzip(raw) : opts.compress === 'zstd' ? zstd(raw) : raw;
  return applyLayer(root, Readable.from([data]), { compression: opts.compress ?? 'none', ...opts });
}

describe('applyLayer: hostile layers stay inside the root', () => {
  it('a symlink planted in a lower layer does not carry an upper layer\'s file out', async () => {
    await apply([{ name: 'etc/', type: 'dir' }, { name: 'etc/x', type: 'symlink', linkname: sentinel }]);
    await apply([{ name: 'etc/x/owned', content: 'pwned' }]);
    expect(readFileSync(path.join(inRoot(sentinel), 'owned'), 'utf8')).toBe('pwned');
    expect(readlinkSync(path.join(root, 'etc/x'))).toBe(sentinel);
  });

  it('the same within one layer, and through a relative symlink that climbs with ..', async () => {
    await apply([
      { name: 'a/', type: 'dir' },
      { name: 'a/up', type: 'symlink', linkname: `../../../../../../..${sentinel}` },
      { name: 'a/up/owned', content: 'x' },
      { name: 'a/up/sub/deeper', content: 'y' },
    ]);
    expect(readFileSync(path.join(inRoot(sentinel), 'owned'), 'utf8')).toBe('x');
    expect(readFileSync(path.join(inRoot(sentinel), 'sub/deeper'), 'utf8')).toBe('y');
  });

  it.each([
    ['../ names', (s: string) => `../../../../..${s}/evil`],
    ['absolute names', (s: string) => `${s}/evil`],
    ['names with ./ and // and .. in the middle', (s: string) => `./x/..//../${s}/./evil`],
  ])('%s are clamped to the root', async (_what, name) => {
    await apply([{ name: name(sentinel), content: 'x' }]);
    expect(readFileSync(path.join(inRoot(sentinel), 'evil'), 'utf8')).toBe('x');
  });

  it('a hard link to a file outside the root is refused (or links the file of that name inside)', async () => {
    await expect(apply([{ name: 'h', type: 'hardlink', linkname: path.join(sentinel, 'secret') }])).rejects.toMatchObject({
      code: 'IMAGE_UNPACK', message: /hard link h -> .*secret: the target is not in this layer or below it/,
    });
    await expect(apply([{ name: 'h', type: 'hardlink', linkname: `../../../../../..${sentinel}/secret` }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK' });
    await apply([{ name: `${sentinel.slice(1)}/secret`, content: 'inside' }, { name: 'h', type: 'hardlink', linkname: `../../..${sentinel}/secret` }]);
    expect(readFileSync(path.join(root, 'h'), 'utf8')).toBe('inside');
    expect(statSync(path.join(root, 'h')).nlink).toBe(2);
  });

  it('a hard link through a symlinked parent resolves inside the root', async () => {
    await apply([{ name: 'lnk', type: 'symlink', linkname: sentinel }]);
    await expect(apply([{ name: 'h', type: 'hardlink', linkname: 'lnk/secret' }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /not in this layer/ });
    expect(existsSync(path.join(root, 'h'))).toBe(false);
  });

  it('a hard link to a symlink links the symlink itself, not what it points at', async () => {
    await apply([{ name: 'lnk', type: 'symlink', linkname: path.join(sentinel, 'secret') }, { name: 'h', type: 'hardlink', linkname: 'lnk' }]);
    expect(lstatSync(path.join(root, 'h')).isSymbolicLink()).toBe(true);
    expect(lstatSync(path.join(root, 'lnk')).nlink).toBe(2);
  });

  it('a whiteout named .. or . is refused; a whiteout climbing with ../ stays in the root', async () => {
    await expect(apply([{ name: 'a/.wh...' }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /invalid whiteout/ });
    await expect(apply([{ name: 'a/.wh..' }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /invalid whiteout/ });
    mkdirSync(path.join(root, 'keep'));
    writeFileSync(path.join(root, 'secret'), 'mine');
    await apply([{ name: `../../../../../../..${sentinel}/.wh.secret` }, { name: '../../../../../../../.wh.secret' }]);
    expect(existsSync(path.join(root, 'secret'))).toBe(false);
    expect(existsSync(path.join(root, 'keep'))).toBe(true);
  });

  it('a whiteout through a symlinked parent removes inside the root only', async () => {
    await apply([{ name: 'lnk', type: 'symlink', linkname: sentinel }]);
    await apply([{ name: 'lnk/.wh.secret' }, { name: 'lnk/.wh.sub' }]);
    expect(existsSync(path.join(root, 'lnk'))).toBe(true);
  });

  it('an opaque whiteout through a symlink empties the directory inside the root only', async () => {
    mkdirSync(path.join(inRoot(sentinel), 'sub'), { recursive: true });
    writeFileSync(path.join(inRoot(sentinel), 'secret'), 'inside copy');
    await apply([{ name: 'lnk', type: 'symlink', linkname: sentinel }]);
    await apply([{ name: 'lnk/.wh..wh..opq' }]);
    expect(readdirSync(inRoot(sentinel))).toEqual([]);
  });

  it('a symlink as the last component is replaced, never written through', async () => {
    await apply([{ name: 'etc/passwd', type: 'symlink', linkname: path.join(sentinel, 'secret') }, { name: 'dir', type: 'symlink', linkname: path.join(sentinel, 'sub') }]);
    await apply([{ name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 }, { name: 'dir/', type: 'dir', mode: 0o777 }]);
    expect(lstatSync(path.join(root, 'etc/passwd')).isFile()).toBe(true);
    expect(readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toMatch(/^root:/);
    expect(lstatSync(path.join(root, 'dir')).isDirectory()).toBe(true);
    expect(statSync(path.join(root, 'dir')).mode & 0o777).toBe(0o777);
  });

  it('a directory replaced by a symlink later in the layer gets no mode or times through it', async () => {
    mkdirSync(path.join(inRoot(sentinel), 'sub'), { recursive: true });
    await apply([
      { name: 'd/', type: 'dir', mode: 0o777 },
      { name: 'd/sub/', type: 'dir', mode: 0o777, mtime: 1000 },
      { name: 'd', type: 'symlink', linkname: sentinel },
      // the parents seen before are not trusted after the replacement
      { name: 'd/sub/after', content: 'inside' },
    ]);
    expect(readlinkSync(path.join(root, 'd'))).toBe(sentinel);
    expect(readFileSync(path.join(inRoot(sentinel), 'sub/after'), 'utf8')).toBe('inside');
  });

  it('unprivileged: a read-only directory opened up for writing gets its mode back only if it is still there', async () => {
    await apply([{ name: 'a/', type: 'dir' }, { name: 'a/sub/', type: 'dir', mode: 0o555 }], { privileged: false });
    await apply([{ name: 'a/sub/x', content: 'x' }, { name: 'a', type: 'symlink', linkname: sentinel }], { privileged: false });
    expect(readlinkSync(path.join(root, 'a'))).toBe(sentinel);
  });

  it('whiteouts and opaque directories remove symlinks, not what they point at', async () => {
    await apply([{ name: 'w', type: 'symlink', linkname: sentinel }, { name: 'd/s', type: 'symlink', linkname: sentinel }, { name: 'd/t', type: 'symlink', linkname: path.join(sentinel, 'secret') }]);
    await apply([{ name: '.wh.w' }, { name: 'd/.wh..wh..opq' }]);
    expect(readdirSync(root)).toEqual(['d']);
    expect(readdirSync(path.join(root, 'd'))).toEqual([]);
  });

  it('symlink loops end in an error, not a hang', async () => {
    await expect(apply([{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/f' }])).rejects.toMatchObject({
      code: 'IMAGE_UNPACK', message: /too many levels of symbolic links/,
    });
  });

  it('a file as a parent is an error', async () => {
    await expect(apply([{ name: 'f', content: 'x' }, { name: 'f/g' }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /f\/g: \/f is not a directory/ });
  });

  it('names with NUL bytes are refused', async () => {
    await expect(apply([{ name: 'ok', pax: { path: Buffer.from('a\0b') } }])).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /NUL/ });
  });
});

describe('applyLayer: what a layer says', () => {
  it('whiteouts remove lower files and directories; markers are not extracted', async () => {
    await apply([{ name: 'etc/keep', content: 'k' }, { name: 'etc/gone', content: 'g' }, { name: 'var/tree/a/b', content: 'b' }]);
    const r = await apply([{ name: 'etc/.wh.gone' }, { name: 'var/.wh.tree' }, { name: 'etc/.wh..wh.plnk' }, { name: '.wh.never-existed' }]);
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['keep']);
    expect(readdirSync(path.join(root, 'var'))).toEqual([]);
    expect(r.entries).toBe(4);
  });

  it.each([
    ['before', true],
    ['after', false],
  ])('an opaque marker %s the layer\'s own entries removes only what lower layers put there', async (_where, first) => {
    await apply([{ name: 'd/old', content: 'o' }, { name: 'd/sub/old', content: 'o' }, { name: 'd/lower-dir/x', content: 'x' }, { name: 'other/keep', content: 'k' }]);
    const own: TarSpec[] = [{ name: 'd/', type: 'dir' }, { name: 'd/new', content: 'n' }, { name: 'd/sub/new', content: 'n' }];
    const marker: TarSpec = { name: 'd/.wh..wh..opq' };
    await apply(first ? [marker, ...own] : [...own, marker]);
    expect(readdirSync(path.join(root, 'd')).sort()).toEqual(['new', 'sub']);
    expect(readdirSync(path.join(root, 'd/sub'))).toEqual(['new']);
    expect(readFileSync(path.join(root, 'other/keep'), 'utf8')).toBe('k');
  });

  it('hard links share the inode', async () => {
    await apply([{ name: 'bin/busybox', content: 'bb', mode: 0o755 }, { name: 'bin/sh', type: 'hardlink', linkname: 'bin/busybox' }, { name: 'bin/ls', type: 'hardlink', linkname: './bin/busybox' }]);
    const a = statSync(path.join(root, 'bin/busybox'));
    expect(statSync(path.join(root, 'bin/sh')).ino).toBe(a.ino);
    expect(a.nlink).toBe(3);
  });

  it('symlinks are kept verbatim, absolute targets included', async () => {
    await apply([
      { name: 'lib64/ld-linux-x86-64.so.2', type: 'symlink', linkname: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
      { name: 'usr/bin/rel', type: 'symlink', linkname: '../../bin/busybox' },
      { name: 'dangling', type: 'symlink', linkname: '/does/not/exist' },
    ]);
    expect(readlinkSync(path.join(root, 'lib64/ld-linux-x86-64.so.2'))).toBe('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    expect(readlinkSync(path.join(root, 'usr/bin/rel'))).toBe('../../bin/busybox');
    expect(readlinkSync(path.join(root, 'dangling'))).toBe('/does/not/exist');
  });

  it('keeps setuid, setgid and sticky bits, and exact modes', async () => {
    await apply([
      { name: 'bin/su', content: 'x', mode: 0o4755 },
      { name: 'usr/bin/wall', content: 'x', mode: 0o2755 },
      { name: 'tmp/', type: 'dir', mode: 0o1777 },
      { name: 'shared/', type: 'dir', mode: 0o2775 },
      { name: 'etc/shadow', content: 's', mode: 0o640 },
      { name: 'ro/', type: 'dir', mode: 0o555 },
      { name: 'ro/inside', content: 'written after its directory became read-only', mode: 0o400 },
    ]);
    const mode = (p: string) => statSync(path.join(root, p)).mode & 0o7777;
    expect([mode('bin/su'), mode('usr/bin/wall'), mode('tmp'), mode('shared'), mode('etc/shadow'), mode('ro'), mode('ro/inside')]).toEqual([0o4755, 0o2755, 0o1777, 0o2775, 0o640, 0o555, 0o400]);
  });

  it('sets mtimes, directories last (after their children were written)', async () => {
    await apply([
      { name: 'd/', type: 'dir', mtime: 1_000_000_000 },
      { name: 'd/f', content: 'x', mtime: 1_234_567_890 },
      { name: 'd/l', type: 'symlink', linkname: '/nowhere', mtime: 1_111_111_111 },
      { name: 'd/frac', content: 'x', mtime: 1_500_000_000.5 },
      { name: 'd/atime', content: 'x', mtime: 1_600_000_000, pax: { atime: '1600000100' } },
    ]);
    expect(statSync(path.join(root, 'd')).mtimeMs).toBe(1_000_000_000_000);
    expect(statSync(path.join(root, 'd/f')).mtimeMs).toBe(1_234_567_890_000);
    expect(lstatSync(path.join(root, 'd/l')).mtimeMs).toBe(1_111_111_111_000);
    expect(statSync(path.join(root, 'd/frac')).mtimeMs).toBe(1_500_000_000_500);
    expect(statSync(path.join(root, 'd/atime')).atimeMs).toBe(1_600_000_100_000);
  });

  it('keeps an existing directory (updating its mode), replaces a non-directory, replaces a directory by a file', async () => {
    await apply([{ name: 'd/lower', content: 'l' }, { name: 'f', content: 'file' }, { name: 'g/deep/x', content: 'x' }]);
    await apply([{ name: 'd/', type: 'dir', mode: 0o700 }, { name: 'f/', type: 'dir' }, { name: 'f/in', content: 'i' }, { name: 'g', content: 'now a file' }]);
    expect(readFileSync(path.join(root, 'd/lower'), 'utf8')).toBe('l');
    expect(statSync(path.join(root, 'd')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(root, 'f/in'), 'utf8')).toBe('i');
    expect(readFileSync(path.join(root, 'g'), 'utf8')).toBe('now a file');
  });

  it('creates missing parents (0755) and ignores the root entry', async () => {
    chmodSync(root, 0o711);
    await apply([{ name: './', type: 'dir', mode: 0o700 }, { name: 'a/b/c/file', content: 'x' }]);
    expect(statSync(path.join(root, 'a/b')).mode & 0o777).toBe(0o755);
    expect(statSync(root).mode & 0o777).toBe(0o711);
  });

  it('writes names that are not UTF-8 byte for byte, and long PAX / GNU names', async () => {
    const odd = Buffer.concat([Buffer.from('odd-'), Buffer.from([0xe9, 0xff])]);
    const long = `deep/${'d'.repeat(120)}/${'n'.repeat(200)}`;
    await apply([{ name: odd, content: 'x' }, { name: long, content: 'pax' }, { name: `gnu/${'g'.repeat(250)}`, content: 'gnu', long: 'gnu' }, { name: 'café', content: 'utf8' }]);
    const names = readdirSync(Buffer.from(root), { encoding: 'buffer' });
    expect(names.some((n) => n.equals(odd))).toBe(true);
    expect(readFileSync(path.join(root, long), 'utf8')).toBe('pax');
    expect(readFileSync(path.join(root, `gnu/${'g'.repeat(250)}`), 'utf8')).toBe('gnu');
    expect(readFileSync(path.join(root, 'café'), 'utf8')).toBe('utf8');
  });

  it('streams a file larger than any chunk', async () => {
    const big = Buffer.alloc(20 << 20, 0x61);
    const r = await apply([{ name: 'big', content: big }], { compress: 'gzip' });
    expect(statSync(path.join(root, 'big')).size).toBe(20 << 20);
    expect(r.entries).toBe(1);
  });

  it.skipIf(!isRoot)('as root: owners kept, setuid kept after chown', async () => {
    await apply([{ name: 'home/app/', type: 'dir', uid: 1000, gid: 1000 }, { name: 'usr/bin/sudo', content: 'x', mode: 0o4711, uid: 0, gid: 50 }, { name: 'l', type: 'symlink', linkname: 'x', uid: 7, gid: 8 }, { name: 'sg', content: 'x', mode: 0o2755, uid: 3, gid: 4 }]);
    const st = (p: string) => lstatSync(path.join(root, p));
    expect([st('home/app').uid, st('home/app').gid]).toEqual([1000, 1000]);
    expect([st('usr/bin/sudo').gid, st('usr/bin/sudo').mode & 0o7777]).toEqual([50, 0o4711]);
    expect([st('l').uid, st('l').gid]).toEqual([7, 8]);
    expect([st('sg').uid, st('sg').gid, st('sg').mode & 0o7777]).toEqual([3, 4, 0o2755]);
  });

  it.skipIf(!isRoot)('as root with an id mapping: image ids become the mapped host ids; ids outside it are an error', async () => {
    const idMapping = rootlessIdMapping({ uid: 1500, gid: 1600, name: 'u' }, 'u:200000:65536\n', 'u:300000:65536\n');
    await apply([{ name: 'r', content: 'x' }, { name: 'a', content: 'x', uid: 1000, gid: 1000 }, { name: 'n', content: 'x', uid: 65534, gid: 65534 }, { name: 'implicit/f', content: 'x' }], { idMapping });
    const ids = (p: string) => [statSync(path.join(root, p)).uid, statSync(path.join(root, p)).gid];
    expect([ids('r'), ids('a'), ids('n'), ids('implicit')]).toEqual([[1500, 1600], [200999, 300999], [265533, 365533], [1500, 1600]]);
    await expect(apply([{ name: 'far', uid: 70000 }], { idMapping })).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message: /owner 70000:0 is outside the id mapping \(uids 0-65536/ });
  });

  it('unprivileged: owners squashed with one warning; read-only lower directories still take new files', async () => {
    await apply([{ name: 'ro/', type: 'dir', mode: 0o555 }, { name: 'ro/a', content: 'a' }]);
    const r = await apply([{ name: 'x', uid: 5, content: 'x' }, { name: 'y', gid: 6, content: 'y' }, { name: 'ro/b', content: 'b' }, { name: 'ro/.wh.a' }], { privileged: false });
    expect(r.warnings).toEqual([{ code: 'OWNER_SQUASHED', message: expect.stringMatching(/^2 file\(s\) owned by other users or groups in the image were unpacked as owned by you/) }]);
    expect(readdirSync(path.join(root, 'ro'))).toEqual(['b']);
    expect(statSync(path.join(root, 'ro')).mode & 0o777).toBe(0o555);
  });

  it('keeps binary xattrs (security.capability) where the file system takes them; warns where it does not', async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_raw+ep, v2
    const r = await apply([
      { name: 'bin/ping', content: 'x', mode: 0o755, uid: 0, xattrs: { 'security.capability': cap, 'user.bin': Buffer.from([0, 0xff, 10, 61]) } },
      { name: 'lnk', type: 'symlink', linkname: 'bin/ping', xattrs: { 'user.on-a-symlink': 'not allowed by Linux' } },
    ]);
    const ping = path.join(root, 'bin/ping');
    if (isRoot) expect(xattr.getAttributeSync(ping, 'security.capability')).toEqual(cap);
    expect(xattr.getAttributeSync(ping, 'user.bin')).toEqual(Buffer.from([0, 0xff, 10, 61]));
    expect(r.warnings).toEqual([
      // only root may set file capabilities
      ...(isRoot ? [] : [{ code: 'XATTR_SKIPPED', message: expect.stringMatching(/^extended attribute security.capability not kept \(.*\): \/bin\/ping$/) }]),
      { code: 'XATTR_SKIPPED', message: expect.stringMatching(/^extended attribute user.on-a-symlink not kept \(.*\): \/lnk$/) },
    ]);
  });

  it.skipIf(!isRoot)('as root: device nodes and FIFOs are created (in the temporary root, never /dev)', async () => {
    const r = await apply([
      { name: 'dev/', type: 'dir' },
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, mtime: 1_000_000_000 },
      { name: 'dev/loop9', type: 'block', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
      { name: 'run/fifo', type: 'fifo', mode: 0o620 },
      { name: 'dev/zero', type: 'char', devmajor: 1, devminor: 5 },
      { name: 'dev/zero', content: 'a later entry replaces the queued node' },
      { name: 'dev/full-link', type: 'hardlink', linkname: 'dev/null' },
    ]);
    expect(r.warnings).toEqual([]);
    const nul = lstatSync(path.join(root, 'dev/null'));
    expect([nul.isCharacterDevice(), nul.rdev, nul.mode & 0o7777, nul.mtimeMs, nul.nlink]).toEqual([true, 0x103, 0o666, 1_000_000_000_000, 2]);
    const loop = lstatSync(path.join(root, 'dev/loop9'));
    expect([loop.isBlockDevice(), loop.rdev, loop.gid, loop.mode & 0o7777]).toEqual([true, 0x709, 6, 0o660]);
    expect(lstatSync(path.join(root, 'run/fifo')).isFIFO()).toBe(true);
    expect(readFileSync(path.join(root, 'dev/zero'), 'utf8')).toMatch(/^a later entry/);
    expect(readdirSync(root).filter((n) => n.startsWith('.ctnr-mknod'))).toEqual([]);
  });

  it('a device node under a directory replaced later in the layer never lands outside', async () => {
    const r = await apply([{ name: 'dev/', type: 'dir' }, { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 }, { name: 'dev', type: 'symlink', linkname: sentinel }]);
    expect(readlinkSync(path.join(root, 'dev'))).toBe(sentinel);
    if (!isRoot) expect(r.warnings.map((w) => w.code)).toEqual(['DEVICE_SKIPPED']);
  });

  it('unprivileged: device nodes are skipped with one warning, FIFOs still made', async () => {
    const r = await apply([
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      { name: 'dev/zero', type: 'char', devmajor: 1, devminor: 5 },
      { name: 'p', type: 'fifo' },
    ], { privileged: false });
    expect(r.warnings).toEqual([{ code: 'DEVICE_SKIPPED', message: 'device nodes need root: /dev/null, /dev/zero' }]);
    expect(existsSync(path.join(root, 'dev/null'))).toBe(false);
    expect(lstatSync(path.join(root, 'p')).isFIFO()).toBe(true);
  });

  it('skips entry types it cannot make, with a warning', async () => {
    const r = await apply([{ name: 'label', typeflag: 'V' }, { name: 'f', content: 'x' }]);
    expect(r.warnings).toEqual([{ code: 'ENTRY_SKIPPED', message: "tar entries of type 'V' are not unpacked: /label" }]);
  });
});

describe('applyLayer: compression and diffIDs', () => {
  const entries: TarSpec[] = [{ name: 'etc/os-release', content: 'ID=test\n' }];
  const raw = tarArchive(entries);
  const diffId = `sha256:${createHash('sha256').update(raw).digest('hex')}`;

  it.each(['none', 'gzip', 'zstd'] as const)('%s layer: unpacked, diffID of the uncompressed tar', async (compress) => {
    const r = await apply(entries, { compress, expectedDiffId: diffId });
    expect(r.diffId).toBe(diffId);
    expect(readFileSync(path.join(root, 'etc/os-release'), 'utf8')).toBe('ID=test\n');
  });

  it('the diffID covers padding after the end-of-archive blocks', async () => {
    const padded = Buffer.concat([raw, Buffer.alloc(8192)]);
    const r = await applyLayer(root, Readable.from([gzip(padded)]), { compression: 'gzip' });
    expect(r.diffId).toBe(`sha256:${createHash('sha256').update(padded).digest('hex')}`);
  });

  it('a diffID mismatch is IMAGE_DIGEST naming both digests', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(apply(entries, { compress: 'gzip', expectedDiffId: wrong })).rejects.toMatchObject({
      code: 'IMAGE_DIGEST', message: `layer content has diff_id ${diffId}, but the image config says ${wrong}`,
    });
  });

  it('the magic bytes decide when the media type lies', async () => {
    const r = await applyLayer(root, Readable.from([gzip(raw)]), { compression: 'none' });
    expect(r.diffId).toBe(diffId);
    const r2 = await applyLayer(root, Readable.from([raw]), { compression: 'zstd' });
    expect(r2.diffId).toBe(diffId);
  });

  it.each([
    ['a corrupt gzip stream', () => { const g = gzip(raw); g[g.length - 6] = g[g.length - 6]! ^ 0xff; return g; }, /layer \(gzip\)/],
    ['a truncated zstd stream', () => zstd(raw).subarray(0, 40), /zstd failed|truncated/],
    ['xz data', () => Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), /xz-compressed/],
    ['not a tar', () => Buffer.alloc(2048, 0x41), /bad header checksum/],
  ])('%s is IMAGE_UNPACK', async (_what, make, message) => {
    await expect(applyLayer(root, Readable.from([make()]), { compression: 'gzip' })).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message });
  });

  it('decompress hands back a stream shorter than the magic numbers whole', async () => {
    const chunks: Buffer[] = [];
    for await (const c of decompress(Readable.from([Buffer.from('ab')]), 'none')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('ab');
  });

  it.each([
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ])('compressionOf(%s) = %s', (mediaType, want) => {
    expect(compressionOf(mediaType)).toBe(want);
  });

  it('compressionOf refuses other media types', () => {
    expect(() => compressionOf('application/vnd.oci.image.config.v1+json')).toThrow(expect.objectContaining({ code: 'IMAGE_INVALID' }));
  });
});

describe('rootlessIdMapping: the rootless stage\'s mapping', () => {
  const user = { uid: 1000, gid: 1001, name: 'alice' };

  it('own id → 0, then the subordinate ranges packed from 1, in file order; by name or by uid', () => {
    const subuid = '# comment\nbob:50000:10\nalice:100000:65536\n1000:300000:100\n';
    const subgid = 'alice:200000:65536\n';
    expect(rootlessIdMapping(user, subuid, subgid)).toEqual({
      uids: [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }, { containerId: 65537, hostId: 300000, size: 100 }],
      gids: [{ containerId: 0, hostId: 1001, size: 1 }, { containerId: 1, hostId: 200000, size: 65536 }],
    });
  });

  it('only the own id when either file has no range for the user (half a mapping is worse than none)', () => {
    const own = { uids: [{ containerId: 0, hostId: 1000, size: 1 }], gids: [{ containerId: 0, hostId: 1001, size: 1 }] };
    expect(rootlessIdMapping(user, 'alice:100000:65536\n', '')).toEqual(own);
    expect(rootlessIdMapping(user, '', '')).toEqual(own);
  });
});
