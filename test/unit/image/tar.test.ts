import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseNumeric, readTar, type TarHeader } from '../../../src/image/tar.js';
import { tarArchive, tarEntry, type TarSpec } from '../../helpers/tar.js';

interface Read {
  header: TarHeader;
  content: Buffer;
}

/** Every entry with its content, feeding the archive in chunks of `chunk` bytes (odd sizes cross block edges). */
async function readAll(archive: Buffer, chunk = 777, readBodies = true): Promise<Read[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < archive.length; i += chunk) chunks.push(archive.subarray(i, i + chunk));
  const out: Read[] = [];
  for await (const e of readTar(Readable.from(chunks))) {
    const parts: Buffer[] = [];
    if (readBodies) for await (const p of e.body) parts.push(p);
    out.push({ header: e.header, content: Buffer.concat(parts) });
  }
  return out;
}

const one = async (spec: TarSpec) => (await readAll(tarArchive([spec])))[0]!;

describe('tar reader', () => {
  it.each([
    ['a regular file', { name: 'etc/hosts', content: 'x\n', mode: 0o640, uid: 7, gid: 8 }, { type: 'file', name: 'etc/hosts', mode: 0o640, uid: 7, gid: 8, size: 2 }],
    ['a directory', { name: 'var/', type: 'dir', mode: 0o1777 }, { type: 'directory', name: 'var/', mode: 0o1777 }],
    ['setuid and setgid bits', { name: 'bin/su', mode: 0o6755 }, { mode: 0o6755 }],
    ['a symlink with an absolute target', { name: 'lib/ld.so', type: 'symlink', linkname: '/lib/x86_64-linux-gnu/ld-2.36.so' }, { type: 'symlink', linkname: '/lib/x86_64-linux-gnu/ld-2.36.so' }],
    ['a hard link', { name: 'bin/b', type: 'hardlink', linkname: 'bin/a' }, { type: 'hardlink', linkname: 'bin/a', size: 0 }],
    ['a character device', { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 }, { type: 'char', devmajor: 1, devminor: 3 }],
    ['a block device', { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 }, { type: 'block', devmajor: 8, devminor: 0 }],
    ['a fifo', { name: 'run/p', type: 'fifo' }, { type: 'fifo' }],
    ['user and group names', { name: 'f', uname: 'root', gname: 'wheel' }, { uname: 'root', gname: 'wheel' }],
    ['an mtime', { name: 'f', mtime: 1_234_567_890 }, { mtime: 1_234_567_890 }],
    ['a PAX fractional mtime', { name: 'f', mtime: 1_700_000_000.25 }, { mtime: 1_700_000_000.25 }],
    ['a PAX negative mtime', { name: 'f', mtime: -86400 }, { mtime: -86400 }],
    ['a PAX atime', { name: 'f', pax: { atime: '1600000000.5' } }, { atime: 1_600_000_000.5 }],
    ['PAX uid/gid beyond octal fields', { name: 'f', pax: { uid: '3000000000', gid: '4000000000' } }, { uid: 3_000_000_000, gid: 4_000_000_000 }],
    ['PAX uname/gname in UTF-8', { name: 'f', pax: { uname: 'jürgen', gname: 'grüppe' } }, { uname: 'jürgen', gname: 'grüppe' }],
    ['base-256 uid/gid/size/mtime', { name: 'f', content: 'abc', uid: 0o7777777 + 5, gid: 2 ** 33, mtime: 2 ** 34, base256: true }, { uid: 0o7777777 + 5, gid: 2 ** 33, mtime: 2 ** 34, size: 3 }],
    ['a base-256 negative mtime', { name: 'f', mtime: -5, base256: true }, { mtime: -5 }],
    ['a ustar prefix + name', { name: `${'p'.repeat(120)}/${'n'.repeat(90)}`, long: 'prefix' }, { name: `${'p'.repeat(120)}/${'n'.repeat(90)}` }],
    ['a GNU long name', { name: `d/${'n'.repeat(300)}`, long: 'gnu' }, { name: `d/${'n'.repeat(300)}` }],
    ['a GNU long link name', { name: 'l', type: 'symlink', linkname: `/${'t'.repeat(300)}`, long: 'gnu' }, { linkname: `/${'t'.repeat(300)}` }],
    ['a PAX path', { name: `d/${'n'.repeat(300)}` }, { name: `d/${'n'.repeat(300)}` }],
    ['a PAX linkpath', { name: 'l', type: 'hardlink', linkname: `${'t'.repeat(300)}` }, { linkname: `${'t'.repeat(300)}` }],
    ['a directory marked only by a trailing slash', { name: 'old/', typeflag: '0' }, { type: 'directory' }],
    ['a contiguous file (type 7) as a regular file', { name: 'c', typeflag: '7', content: 'x' }, { type: 'file', size: 1 }],
    ['an unknown type, kept for the caller to refuse', { name: 'v', typeflag: 'V' }, { type: undefined, typeflag: 'V' }],
  ] as Array<[string, TarSpec, Partial<TarHeader>]>)('%s', async (_what, spec, want) => {
    const { header } = await one(spec);
    expect(header).toMatchObject(want);
  });

  it('keeps names and link targets that are not UTF-8 byte for byte', async () => {
    const name = Buffer.from([0x64, 0x2f, 0xe9, 0xff, 0x41]); // "d/" + latin1 é + 0xff + "A"
    const { header } = await one({ name, type: 'symlink', linkname: Buffer.from([0xfe, 0x2f]) });
    expect(Buffer.from(header.name, 'latin1')).toEqual(name);
    expect(Buffer.from(header.linkname, 'latin1')).toEqual(Buffer.from([0xfe, 0x2f]));
    const utf8 = await one({ name: 'café/naïve' });
    expect(Buffer.from(utf8.header.name, 'latin1').toString('utf8')).toBe('café/naïve');
  });

  it('keeps binary xattr values from SCHILY.xattr and LIBARCHIVE.xattr records', async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const { header } = await one({
      name: 'bin/ping', xattrs: { 'security.capability': cap, 'user.nl': Buffer.from('a\nb=c\0d') },
      pax: { 'LIBARCHIVE.xattr.user.sp%20ace': Buffer.from([0, 1, 2, 0xff]).toString('base64') },
    });
    expect(header.xattrs.get('security.capability')).toEqual(cap);
    expect(header.xattrs.get('user.nl')).toEqual(Buffer.from('a\nb=c\0d'));
    expect(header.xattrs.get('user.sp ace')).toEqual(Buffer.from([0, 1, 2, 0xff]));
  });

  it('streams content across chunk boundaries, with or without the consumer reading it', async () => {
    const big = Buffer.alloc(100_000, 7);
    big.write('head');
    const archive = tarArchive([{ name: 'a', content: big }, { name: 'b', content: 'tail' }, { name: 'c', content: '' }]);
    for (const chunk of [1, 511, 512, 513, 65536]) {
      const read = await readAll(archive, chunk);
      expect(read.map((r) => [r.header.name, r.content.length])).toEqual([['a', 100_000], ['b', 4], ['c', 0]]);
      expect(read[0]!.content.equals(big)).toBe(true);
      expect(read[1]!.content.toString()).toBe('tail');
    }
    const skipped = await readAll(archive, 1000, false);
    expect(skipped.map((r) => r.header.name)).toEqual(['a', 'b', 'c']);
  });

  it('applies a PAX header to the next entry only, and ignores global headers', async () => {
    const globalHeader = tarEntry({ name: 'pax_global_header', typeflag: 'g', content: '20 comment=git hash\n' });
    const archive = Buffer.concat([globalHeader, tarArchive([{ name: `${'x'.repeat(200)}`, uid: 1 }, { name: 'short', uid: 2 }])]);
    const read = await readAll(archive);
    expect(read.map((r) => [r.header.name.length, r.header.uid])).toEqual([[200, 1], [5, 2]]);
  });

  it('reads a PAX size that overrides the header size', async () => {
    const archive = tarArchive([{ name: 'f', content: 'hello', claimedSize: 0, pax: { size: '5' } }, { name: 'g', content: 'x' }]);
    const read = await readAll(archive);
    expect(read.map((r) => r.content.toString())).toEqual(['hello', 'x']);
  });

  it('accepts a missing end-of-archive marker and reads past trailing zero padding', async () => {
    expect((await readAll(tarArchive([{ name: 'a' }], { end: false }))).length).toBe(1);
    const padded = Buffer.concat([tarArchive([{ name: 'a' }]), Buffer.alloc(10240 - 1536)]);
    expect((await readAll(padded)).length).toBe(1);
  });

  it.each([
    ['a corrupted header', () => { const a = tarArchive([{ name: 'a' }]); a[10] = 0x41; return a; }, /bad header checksum at byte 0/],
    ['something that is not tar', () => Buffer.from('this is not a tar archive'.repeat(40)), /bad header checksum|truncated/],
    ['content cut short', () => tarArchive([{ name: 'a', content: 'x'.repeat(2000) }]).subarray(0, 1200), /a: truncated content/],
    ['a header cut short', () => tarArchive([{ name: 'a' }]).subarray(0, 300), /truncated header/],
    ['a GNU sparse file', () => tarArchive([{ name: 's', typeflag: 'S' }]), /sparse files are not supported/],
    ['a PAX sparse file', () => tarArchive([{ name: 's', pax: { 'GNU.sparse.major': '1' } }]), /sparse files are not supported/],
    ['a malformed PAX record', () => tarArchive([{ name: 's', pax: { 'a': 'b' } }]).fill(0x39, 512, 514), /malformed PAX record/],
    ['a PAX number that is not one', () => tarArchive([{ name: 's', pax: { uid: '12abc' } }]), /PAX uid="12abc" is not a valid number/],
  ])('refuses %s with IMAGE_UNPACK', async (_what, make, message) => {
    await expect(readAll(make())).rejects.toMatchObject({ code: 'IMAGE_UNPACK', message });
  });

  it('parses octal fields with any padding and base-256 fields of both signs', () => {
    const b = Buffer.alloc(12);
    b.write(' 0000755 \0', 0, 'latin1');
    expect(parseNumeric(b, 0, 12, 'mode')).toBe(0o755);
    b.fill(0);
    expect(parseNumeric(b, 0, 12, 'size')).toBe(0);
    b.fill(0);
    b[0] = 0x80;
    b.writeUInt32BE(0x12345678, 8);
    expect(parseNumeric(b, 0, 12, 'size')).toBe(0x12345678);
    b.fill(0xff);
    expect(parseNumeric(b, 0, 12, 'mtime')).toBe(-1);
    b.write('9', 0, 'latin1');
    expect(() => parseNumeric(b, 0, 12, 'mode')).toThrow(/not an octal number/);
  });
});
